"""The webhook Newsdesk posts through in a channel: is it still there, and making a new one.

Rules: an admin may delete the webhook at any time (Discord then answers 404, code 10015), so
a stored webhook is checked before a command reuses it, and a deleted one is replaced by a new
one made in the same channel, which needs Manage Webhooks there.
"""

from __future__ import annotations

import discord

from bot.core.errors import InvalidInput

WEBHOOK_NAME = "Newsdesk"
UNKNOWN_WEBHOOK = 10015


async def webhook_exists(client: discord.Client, webhook: tuple[int, str]) -> bool:
    """Return whether a stored webhook still exists (False once an admin deleted it)."""
    try:
        await discord.Webhook.partial(*webhook, client=client).fetch()
    except discord.NotFound:
        return False
    return True


def missing_webhook_permission(channel: discord.abc.GuildChannel) -> bool:
    """Return True when Newsdesk may not make webhooks in ``channel``."""
    return not channel.permissions_for(channel.guild.me).manage_webhooks


async def make_webhook(channel: discord.abc.GuildChannel | None) -> tuple[int, str]:
    """Make Newsdesk's webhook in a text channel and return its id and token.

    Raises:
        InvalidInput: the channel is not a text channel, or Newsdesk lacks Manage Webhooks.
    """
    if not isinstance(channel, discord.TextChannel):
        raise InvalidInput("Webhook posting works in text channels only.")
    if missing_webhook_permission(channel):
        raise InvalidInput(
            f"Newsdesk needs Manage Webhooks in {channel.mention} to post there under each "
            "source's name. Grant it, then try again."
        )
    made = await channel.create_webhook(name=WEBHOOK_NAME)
    assert made.token is not None  # a webhook the bot creates comes with its token
    return made.id, made.token
