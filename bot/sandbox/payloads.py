"""Every JSON payload shape the sandbox sends, in one module.

Rules:
- shapes follow Discord API v10 as discord.py 2.7 parses them (see its
  `types/*.py`); fields discord.py indexes with `data[...]` are always present;
- ids go out as strings, permissions as decimal strings, times as ISO 8601 UTC;
- functions here are pure: they read the world and return fresh dicts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.world import ChannelSpec, GuildSpec, RoleSpec, SandboxWorld, UserSpec

JSON = dict[str, Any]
DISCORD_EPOCH_MS = 1420070400000
JOINED_AT = "2025-01-01T00:00:00+00:00"
EPHEMERAL_FLAG = 64


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


class SnowflakeFactory:
    """Makes fresh, increasing snowflakes whose timestamp is now."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        """A new snowflake, greater than every earlier one."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = now_ms << 22
        self._last = max(candidate, self._last + 1)
        return self._last


def iso(moment: datetime) -> str:
    """ISO 8601 text as Discord writes it."""
    return moment.astimezone(UTC).isoformat()


def error_body(code: int, message: str, errors: JSON | None = None) -> JSON:
    """Discord's error body: {"code", "message"[, "errors"]}."""
    body: JSON = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def user_payload(user: UserSpec) -> JSON:
    """A user object."""
    return {
        "id": str(user.id),
        "username": user.name,
        "global_name": user.name,
        "discriminator": "0",
        "avatar": None,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def role_payload(role: RoleSpec) -> JSON:
    """A role object."""
    payload: JSON = {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.bot_id is not None,
        "mentionable": True,
        "flags": 0,
    }
    if role.bot_id is not None:
        payload["tags"] = {"bot_id": str(role.bot_id)}
    return payload


def member_payload(
    world: SandboxWorld,
    guild: GuildSpec,
    user_id: int,
    *,
    with_user: bool = True,
    permissions: int | None = None,
) -> JSON:
    """A guild member object (optionally with `permissions`, as in interactions)."""
    payload: JSON = {
        "roles": [str(r) for r in guild.members.get(user_id, ())],
        "nick": None,
        "avatar": None,
        "banner": None,
        "joined_at": JOINED_AT,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    user = world.user(user_id)
    if with_user and user is not None:
        payload["user"] = user_payload(user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


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


def guild_payload(guild: GuildSpec) -> JSON:
    """A guild object (as GET /guilds/{id} returns it)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": str(guild.channels[0].id) if guild.channels else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "roles": [role_payload(r) for r in guild.roles],
        "emojis": [],
        "stickers": [],
        "max_members": 500000,
        "max_video_channel_users": 25,
        "widget_enabled": False,
    }


def guild_create_payload(world: SandboxWorld, guild: GuildSpec) -> JSON:
    """The GUILD_CREATE dispatch body: guild + channels, members, threads, etc."""
    payload = guild_payload(guild)
    payload.update(
        {
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members),
            "joined_at": JOINED_AT,
            "channels": [channel_payload(guild, c) for c in guild.live_channels()],
            "threads": [],
            "members": [member_payload(world, guild, uid) for uid in guild.members],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
    )
    return payload


def ready_payload(world: SandboxWorld, session_id: str, resume_gateway_url: str) -> JSON:
    """The READY dispatch body: guilds start unavailable, GUILD_CREATEs follow."""
    bot = world.user(world.bot_user_id)
    assert bot is not None
    user = user_payload(bot) | {"verified": True, "mfa_enabled": False, "email": None}
    return {
        "v": 10,
        "user": user,
        "guilds": [{"id": str(g.id), "unavailable": True} for g in world.guilds],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "shard": [0, 1],
        "application": {"id": str(world.application_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
        "_trace": ["newsdesk-sandbox"],
    }


def application_payload(world: SandboxWorld) -> JSON:
    """The application (GET /oauth2/applications/@me); owner is the app owner user."""
    bot = world.user(world.bot_user_id)
    owner = world.user(world.app_owner_id)
    assert bot is not None and owner is not None
    return {
        "id": str(world.application_id),
        "name": bot.name,
        "icon": None,
        "description": "Newsdesk running against the local sandbox",
        "rpc_origins": [],
        "bot_public": False,
        "bot_require_code_grant": False,
        "bot": user_payload(bot),
        "owner": user_payload(owner),
        "team": None,
        "summary": "",
        "verify_key": "0" * 64,
        "flags": 0,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(world.guilds),
    }


def webhook_payload(
    *, webhook_id: int, token: str, name: str, guild_id: int, channel_id: int, creator: UserSpec
) -> JSON:
    """An incoming webhook object."""
    return {
        "id": str(webhook_id),
        "type": 1,
        "guild_id": str(guild_id),
        "channel_id": str(channel_id),
        "user": user_payload(creator),
        "name": name,
        "avatar": None,
        "token": token,
        "application_id": None,
    }


def webhook_author_payload(webhook_id: int, name: str) -> JSON:
    """The author object of a message a webhook posted."""
    return {
        "id": str(webhook_id),
        "username": name,
        "global_name": None,
        "discriminator": "0000",
        "avatar": None,
        "bot": True,
    }


def attachment_payload(attachment_id: int, filename: str, data: bytes, url: str) -> JSON:
    """An attachment object for an uploaded file."""
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": "application/octet-stream",
    }


def callback_response_payload(
    *,
    interaction_id: int,
    interaction_type: int,
    response_type: int,
    message: JSON | None,
    loading: bool,
    ephemeral: bool,
) -> JSON:
    """The body of POST /interactions/{id}/{token}/callback?with_response=true."""
    interaction: JSON = {
        "id": str(interaction_id),
        "type": interaction_type,
        "response_message_loading": loading,
        "response_message_ephemeral": ephemeral,
    }
    if message is not None:
        interaction["response_message_id"] = message["id"]
    resource: JSON = {"type": response_type}
    if message is not None:
        resource["message"] = message
    return {"interaction": interaction, "resource": resource}


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: JSON,
    content: str,
    embeds: list[JSON],
    components: list[JSON],
    attachments: list[JSON],
    flags: int,
    nonce: str | None,
    mentions: list[JSON],
    mention_roles: list[int],
    mention_everyone: bool,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: JSON | None = None,
    message_type: int = 0,
) -> JSON:
    """A message object as REST returns it and MESSAGE_CREATE dispatches it."""
    payload: JSON = {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": mentions,
        "mention_roles": [str(r) for r in mention_roles],
        "mention_channels": [],
        "attachments": attachments,
        "embeds": embeds,
        "components": components,
        "reactions": [],
        "pinned": False,
        "flags": flags,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if nonce is not None:
        payload["nonce"] = nonce
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if application_id is not None:
        payload["application_id"] = str(application_id)
    if interaction_metadata is not None:
        payload["interaction_metadata"] = interaction_metadata
    return payload
