"""Discord permission bits and the permission maths, as pure functions.

Rules (Discord's documented order):
- base permissions = @everyone's bits OR every role the member has;
- the guild owner, or anyone whose base has ADMINISTRATOR, has every bit;
- in a channel: apply the @everyone overwrite (deny, then allow), then the
  union of the member's role overwrites (deny, then allow), then the
  member's own overwrite (deny, then allow);
- without VIEW_CHANNEL in a channel a member has no permission there at all;
- without SEND_MESSAGES the bits that only make sense when sending
  (EMBED_LINKS, ATTACH_FILES, MENTION_EVERYONE, SEND_TTS_MESSAGES) drop too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import discord

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38

ALL_PERMISSIONS: int = discord.Permissions.all().value

SEND_DEPENDENT = EMBED_LINKS | ATTACH_FILES | MENTION_EVERYONE | SEND_TTS_MESSAGES


@dataclass(frozen=True)
class Overwrite:
    """One channel permission overwrite for a role or a member."""

    target_id: int
    target_type: Literal["role", "member"]
    allow: int = 0
    deny: int = 0


def compute_base_permissions(
    *, everyone_permissions: int, role_permissions: Iterable[int], is_owner: bool
) -> int:
    """Guild-wide permissions of a member: @everyone OR their roles; owner/admin get all."""
    if is_owner:
        return ALL_PERMISSIONS
    permissions = everyone_permissions
    for bits in role_permissions:
        permissions |= bits
    if permissions & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return permissions


def apply_channel_overwrites(
    base: int,
    *,
    guild_id: int,
    member_id: int,
    member_role_ids: Iterable[int],
    overwrites: Iterable[Overwrite],
) -> int:
    """Apply a channel's overwrites to base permissions in Discord's order."""
    if base & ADMINISTRATOR:
        return ALL_PERMISSIONS
    by_target = {(o.target_type, o.target_id): o for o in overwrites}
    permissions = base
    everyone = by_target.get(("role", guild_id))
    if everyone is not None:
        permissions = (permissions & ~everyone.deny) | everyone.allow
    role_allow = 0
    role_deny = 0
    for role_id in member_role_ids:
        overwrite = by_target.get(("role", role_id))
        if overwrite is not None:
            role_allow |= overwrite.allow
            role_deny |= overwrite.deny
    permissions = (permissions & ~role_deny) | role_allow
    own = by_target.get(("member", member_id))
    if own is not None:
        permissions = (permissions & ~own.deny) | own.allow
    if not permissions & VIEW_CHANNEL:
        return 0
    if not permissions & SEND_MESSAGES:
        permissions &= ~SEND_DEPENDENT
    return permissions


def has_all(permissions: int, required: int) -> bool:
    """True when `permissions` holds every bit of `required` (ADMINISTRATOR holds all)."""
    if permissions & ADMINISTRATOR:
        return True
    return permissions & required == required


def describe_missing(permissions: int, required: int) -> str:
    """Human names of the bits in `required` that `permissions` lacks, e.g. 'Manage Server'."""
    missing = discord.Permissions(required & ~permissions)
    names = [name.replace("_", " ").title() for name, value in missing if value]
    renamed = {"Manage Guild": "Manage Server"}
    return ", ".join(renamed.get(name, name) for name in names)
