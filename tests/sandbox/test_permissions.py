"""Permission maths: pure functions and the world's channel permissions."""

from __future__ import annotations

import pytest

from bot.sandbox.fake_discord import SandboxWorld
from bot.sandbox.fake_discord import permissions as p
from bot.sandbox.fake_discord.permissions import Overwrite

GUILD = 100
ROLE_A = 200
ROLE_B = 300
MEMBER = 400
BASE = p.VIEW_CHANNEL | p.SEND_MESSAGES | p.EMBED_LINKS


@pytest.mark.parametrize(
    ("everyone", "roles", "owner", "expected"),
    [
        (BASE, [], False, BASE),
        (BASE, [p.MANAGE_GUILD], False, BASE | p.MANAGE_GUILD),
        (0, [p.ADMINISTRATOR], False, p.ALL_PERMISSIONS),
        (0, [], True, p.ALL_PERMISSIONS),
    ],
)
def test_base_permissions(everyone: int, roles: list[int], owner: bool, expected: int) -> None:
    got = p.compute_base_permissions(
        everyone_permissions=everyone, role_permissions=roles, is_owner=owner
    )
    assert got == expected


@pytest.mark.parametrize(
    ("overwrites", "expected"),
    [
        ([], BASE),
        ([Overwrite(GUILD, "role", deny=p.SEND_MESSAGES)], p.VIEW_CHANNEL),
        (
            [
                Overwrite(GUILD, "role", deny=p.SEND_MESSAGES),
                Overwrite(ROLE_A, "role", allow=p.SEND_MESSAGES),
            ],
            BASE,
        ),
        (
            [
                Overwrite(ROLE_A, "role", allow=p.SEND_MESSAGES),
                Overwrite(ROLE_B, "role", deny=p.SEND_MESSAGES),
            ],
            BASE,
        ),
        (
            [
                Overwrite(ROLE_A, "role", allow=p.MANAGE_WEBHOOKS),
                Overwrite(MEMBER, "member", deny=p.MANAGE_WEBHOOKS),
            ],
            BASE,
        ),
        ([Overwrite(GUILD, "role", deny=p.VIEW_CHANNEL)], 0),
        ([Overwrite(MEMBER, "member", deny=p.VIEW_CHANNEL)], 0),
        ([Overwrite(999, "role", deny=p.VIEW_CHANNEL)], BASE),
    ],
)
def test_channel_overwrites_in_discord_order(overwrites: list[Overwrite], expected: int) -> None:
    got = p.apply_channel_overwrites(
        BASE,
        guild_id=GUILD,
        member_id=MEMBER,
        member_role_ids=[ROLE_A, ROLE_B],
        overwrites=overwrites,
    )
    assert got == expected


def test_administrator_ignores_overwrites() -> None:
    got = p.apply_channel_overwrites(
        p.ALL_PERMISSIONS,
        guild_id=GUILD,
        member_id=MEMBER,
        member_role_ids=[],
        overwrites=[Overwrite(GUILD, "role", deny=p.VIEW_CHANNEL)],
    )
    assert got == p.ALL_PERMISSIONS


def test_has_all_and_describe_missing() -> None:
    assert p.has_all(p.ADMINISTRATOR, p.MANAGE_GUILD)
    assert not p.has_all(p.SEND_MESSAGES, p.MANAGE_GUILD)
    assert p.describe_missing(p.SEND_MESSAGES, p.MANAGE_GUILD) == "Manage Server"


def test_default_world_permissions() -> None:
    world = SandboxWorld.default()
    news = world.channel_id("news")
    admin = world.channel_permissions(news, world.user_id("admin"))
    member = world.channel_permissions(news, world.user_id("member"))
    bot = world.channel_permissions(news, world.bot_user_id)
    assert admin & p.MANAGE_GUILD and not admin & p.ADMINISTRATOR
    assert not member & p.MANAGE_GUILD
    assert bot & p.MANAGE_WEBHOOKS and bot & p.SEND_MESSAGES
    assert world.channel_permissions(news, world.user_id("owner")) == p.ALL_PERMISSIONS


def test_world_ids_are_stable_and_named() -> None:
    first, second = SandboxWorld.default(), SandboxWorld.default()
    assert first.guild_id == second.guild_id
    assert first.channel_id("#news") == second.channel_id("news")
    assert first.role_id("@everyone") == first.guild_id
    assert first.role_name(first.role_id("asia-desk")) == "asia-desk"
    assert first.user_name(first.user_id("admin")) == "admin"
    assert first.guild_name == "Newsdesk Sandbox"
    names = [c.name for c in first.primary.channels]
    assert names == ["general", "news", "world", "tech", "forum-news"]
    assert first.channel_id("forum-news") == first.guild_id + 5
    extra = first.add_guild("Second Desk")
    assert SandboxWorld.default().add_guild("Second Desk").id == extra.id
    assert first.channel_id("news", guild_id=extra.id) != first.channel_id("news")
