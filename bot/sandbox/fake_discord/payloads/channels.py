"""Channel payload shapes: text and forum channels, threads, overwrites."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sandbox.fake_discord.payloads.base import JSON, iso, snowflake_time
from bot.sandbox.fake_discord.world import ChannelSpec, ForumTag, GuildSpec, ThreadSpec


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


def forum_tag_payload(tag: ForumTag) -> JSON:
    """A forum tag object."""
    return {
        "id": str(tag.id),
        "name": tag.name,
        "moderated": tag.moderated,
        "emoji_id": None,
        "emoji_name": tag.emoji_name,
    }


def channel_payload(guild: GuildSpec, channel: ChannelSpec) -> JSON:
    """A guild channel object: text, forum (with its forum fields) or thread."""
    if isinstance(channel, ThreadSpec):
        return thread_payload(guild, channel)
    payload: JSON = {
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
        "flags": channel.flags,
        "default_thread_rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
    }
    if channel.is_forum:
        payload |= {
            "available_tags": [forum_tag_payload(t) for t in channel.available_tags],
            "default_reaction_emoji": None,
            "default_sort_order": None,
            "default_forum_layout": 0,
        }
    return payload


def thread_member_payload(thread: ThreadSpec, user_id: int) -> JSON:
    """A thread member object (the creator joins their thread when creating it)."""
    return {
        "id": str(thread.id),
        "user_id": str(user_id),
        "join_timestamp": iso(snowflake_time(thread.id)),
        "flags": 0,
    }


def thread_payload(
    guild: GuildSpec,
    thread: ThreadSpec,
    *,
    newly_created: bool = False,
    member_id: int | None = None,
) -> JSON:
    """A thread channel object (THREAD_CREATE, thread routes, GUILD_CREATE `threads`)."""
    created = iso(snowflake_time(thread.id))
    archived = thread.id in guild.archived_thread_ids
    changed = guild.archive_timestamps.get(thread.id)
    payload: JSON = {
        "id": str(thread.id),
        "type": thread.type,
        "guild_id": str(guild.id),
        "parent_id": str(thread.parent_id),
        "owner_id": str(thread.owner_id),
        "name": thread.name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "applied_tags": [str(t) for t in thread.applied_tags],
        "thread_metadata": {
            "archived": archived,
            "auto_archive_duration": thread.auto_archive_duration,
            "archive_timestamp": created
            if changed is None
            else iso(datetime.fromtimestamp(changed / 1000, tz=UTC)),
            "locked": False,
            "invitable": True,
            "create_timestamp": created,
        },
    }
    if newly_created:
        payload["newly_created"] = True
    if member_id is not None:
        payload["member"] = thread_member_payload(thread, member_id)
    return payload


def forum_post_payload(thread: JSON, message: JSON) -> JSON:
    """The answer to starting a forum post: the thread with its starter `message`."""
    return thread | {"message": message}


def active_threads_payload(guild: GuildSpec, threads: list[ThreadSpec], member_id: int) -> JSON:
    """GET /guilds/{id}/threads/active: the threads and the member's thread memberships."""
    return {
        "threads": [thread_payload(guild, t) for t in threads],
        "members": [thread_member_payload(t, member_id) for t in threads],
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
