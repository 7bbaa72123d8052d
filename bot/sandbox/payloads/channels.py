"""Channel payload shapes: text and forum channels, threads, overwrites."""

from __future__ import annotations

from bot.sandbox.payloads.base import JSON
from bot.sandbox.world import ChannelSpec, GuildSpec


def overwrites_payload(guild: GuildSpec, channel_id: int) -> list[JSON]:
    """The permission_overwrites list of a channel."""
    return [
        {
            "id": str(o.target_id),
            "type": 0 if o.target_type == "role" else 1,
            "allow": str(o.allow),
            "deny": str(o.deny),
        }
        for o in guild.overwrites.get(channel_id, [])
    ]


def channel_payload(guild: GuildSpec, channel: ChannelSpec) -> JSON:
    """A guild text channel object."""
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(guild.id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": overwrites_payload(guild, channel.id),
        "topic": channel.topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
        "default_thread_rate_limit_per_user": 0,
    }


def resolved_channel_payload(guild: GuildSpec, channel: ChannelSpec, permissions: int) -> JSON:
    """A channel as it appears in an interaction's `resolved.channels`."""
    return {
        "id": str(channel.id),
        "type": channel.type,
        "name": channel.name,
        "permissions": str(permissions),
        "guild_id": str(guild.id),
        "parent_id": None,
        "position": channel.position,
        "topic": channel.topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }
