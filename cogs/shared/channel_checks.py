"""Checks and names for the channels a command is given."""

from __future__ import annotations

import discord

from bot.core.errors import NotAllowed
from bot.discord_io.sender import missing_post_permissions


def ensure_bot_can_post(channel: discord.TextChannel | discord.ForumChannel) -> None:
    """Refuse a channel where Newsdesk could not post.

    Raises:
        NotAllowed: the bot lacks a permission it needs in that channel.
    """
    missing = missing_post_permissions(channel)
    if missing:
        raise NotAllowed(
            f"Newsdesk cannot post in {channel.mention}: give it {', '.join(missing)} there, "
            "then try again."
        )


def channel_name(guild: discord.Guild, channel_id: int) -> str:
    """Return a channel's name as a person sees it, or its id when it is gone."""
    channel = guild.get_channel(channel_id)
    return f"#{channel.name}" if channel is not None else f"#{channel_id}"
