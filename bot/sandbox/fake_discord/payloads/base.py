"""Base payload shapes: ids, times, errors, users, roles and members."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.fake_discord.world import GuildSpec, RoleSpec, SandboxWorld, UserSpec

JSON = dict[str, Any]
DISCORD_EPOCH_MS = 1420070400000
JOINED_AT = "2025-01-01T00:00:00+00:00"
EPHEMERAL_FLAG = 64


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


class SnowflakeFactory:
    """Makes fresh, increasing snowflakes whose timestamp is now.

    `now` is the wall time in epoch seconds: the sandbox passes its clock's, so a test that
    moves the sandbox clock forward also moves the time its new messages carry.
    """

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._last = 0

    def next(self) -> int:
        """A new snowflake, greater than every earlier one."""
        now_ms = int(self._now() * 1000) - DISCORD_EPOCH_MS
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
