"""``/feed tag`` and the ``tag`` of ``/feed add``: the forum tag a subscription's posts carry.

A mixin of ``cogs.feeds.commands.FeedCommands`` (discord.py collects a group's commands from its
bases), kept apart so each module stays readable. Which tag a post carries is decided in
``bot.pipeline.deliver.forum_tags``; this module names the forum's tags and checks what an
admin typed against them.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput, UserError
from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.sender import post_tag
from bot.features.feeds.replies import describe_forum_tag, shown_title
from bot.pipeline.deliver.forum_tags import ForumTag, find_tag
from cogs.feeds.subscription_choices import subscription_choices
from cogs.shared.replies import reply_privately, think_privately

NOT_A_FORUM = (
    "Tags are for forum channels, and this subscription posts in a text channel. Leave tag out."
)


def tag_named(channel: discord.abc.GuildChannel | None, name: str) -> int:
    """Return the id of the forum's tag called ``name``.

    Raises:
        InvalidInput: the channel is not a forum, or has no such tag.
    """
    if not isinstance(channel, discord.ForumChannel):
        raise InvalidInput(NOT_A_FORUM)
    tags = [ForumTag(tag.id, tag.name, tag.moderated) for tag in channel.available_tags]
    found = find_tag(tags, name)
    if found is None:
        offered = ", ".join(f"**{tag.name}**" for tag in tags) or "none"
        raise InvalidInput(
            f"{channel.mention} has no tag called **{name[:20]}**. Its tags: {offered}."
        )
    return found.id


def forum_tag_line(
    channel: discord.abc.GuildChannel | None, chosen_id: int | None, feed_title: str
) -> str | None:
    """Say which tag the subscription's posts carry in a forum (None: not a forum)."""
    if not isinstance(channel, discord.ForumChannel):
        return None
    tag = post_tag(channel, chosen_id, feed_title)
    return describe_forum_tag(channel.id, None if tag is None else tag.name)


async def forum_tag_choices(
    channel: discord.abc.GuildChannel | None, current: str
) -> list[app_commands.Choice[str]]:
    """Offer a forum's tags whose name contains what was typed."""
    if not isinstance(channel, discord.ForumChannel):
        return []
    typed = current.strip().casefold()
    return [
        app_commands.Choice(name=tag.name, value=tag.name)
        for tag in channel.available_tags if typed in tag.name.casefold()
    ][:25]


class FeedTagCommands(commands.Cog):
    """``/feed tag``."""

    bot: NewsdeskGateway

    @app_commands.command(name="tag")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        tag="The forum tag its posts carry; leave out for the default (named like the feed)",
    )
    async def tag(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1],
        tag: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        """Choose the tag a forum subscription's posts carry."""
        assert interaction.guild_id is not None and interaction.guild is not None
        await think_privately(interaction)
        service = self.bot.services.subscriptions
        summary = await service.get(interaction.guild_id, subscription)
        channel = interaction.guild.get_channel(summary.subscription.channel_id)
        if not isinstance(channel, discord.ForumChannel):
            raise InvalidInput(NOT_A_FORUM)
        chosen = None if tag is None else tag_named(channel, tag)
        await service.set_forum_tag(interaction.guild_id, subscription, chosen)
        line = forum_tag_line(channel, chosen, summary.feed_title)
        title = shown_title(summary.feed_title)
        await reply_privately(
            interaction, f"Saved for subscription #{subscription} ({title}). {line}"
        )

    @tag.autocomplete("subscription")
    async def tag_subscription_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer this server's subscriptions."""
        return await subscription_choices(self.bot, interaction, current)

    @tag.autocomplete("tag")
    async def tag_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the tags of the subscription's forum."""
        number = getattr(interaction.namespace, "subscription", None)
        if (
            interaction.guild is None or not interaction.permissions.manage_guild
            or not isinstance(number, int)
        ):
            return []  # discord.py runs no command checks for autocomplete
        try:
            summary = await self.bot.services.subscriptions.get(interaction.guild.id, number)
        except UserError:
            return []
        return await forum_tag_choices(
            interaction.guild.get_channel(summary.subscription.channel_id), current
        )
