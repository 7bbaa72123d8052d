"""Giving and taking a member's role over REST, as Discord answers it."""

from __future__ import annotations

import discord
import pytest

from bot.sandbox.fake_discord import permissions as p
from bot.sandbox.fake_discord.world import BOT_NAME, BOT_ROLE_PERMISSIONS
from tests.sandbox.conftest import RunningBot
from tests.waiting import eventually


def guild(running: RunningBot) -> discord.Guild:
    found = running.bot.get_guild(running.sandbox.world.primary.id)
    assert found is not None
    return found


def member_object(running: RunningBot) -> discord.Object:
    return discord.Object(running.sandbox.world.user_id("member"))


async def allow_manage_roles(running: RunningBot) -> None:
    sandbox = running.sandbox
    sandbox.set_role_permissions(BOT_NAME, BOT_ROLE_PERMISSIONS | p.MANAGE_ROLES)
    await eventually(lambda: guild(running).me.guild_permissions.manage_roles)


async def test_role_is_given_and_taken_and_twice_changes_nothing(running: RunningBot) -> None:
    sandbox = running.sandbox
    await allow_manage_roles(running)
    http = running.bot.http
    role_id = sandbox.world.role_id("asia-desk")
    for _ in range(2):
        await http.add_role(guild(running).id, member_object(running).id, role_id)
        assert sandbox.member_roles("member") == ["asia-desk"]
    for _ in range(2):
        await http.remove_role(guild(running).id, member_object(running).id, role_id)
        assert sandbox.member_roles("member") == []
    assert not sandbox.schema_refusals and not sandbox.unknown_routes


async def test_without_manage_roles_the_bot_is_refused(running: RunningBot) -> None:
    sandbox = running.sandbox
    with pytest.raises(discord.Forbidden) as refused:
        await running.bot.http.add_role(
            guild(running).id, member_object(running).id, sandbox.world.role_id("asia-desk")
        )
    assert refused.value.code == 50013
    assert sandbox.member_roles("member") == []


async def test_a_role_above_the_bots_own_is_refused(running: RunningBot) -> None:
    sandbox = running.sandbox
    await allow_manage_roles(running)
    for role in ("admin", BOT_NAME):  # above the bot's role; the bot's own
        with pytest.raises(discord.Forbidden) as refused:
            await running.bot.http.add_role(
                guild(running).id, member_object(running).id, sandbox.world.role_id(role)
            )
        assert refused.value.code == 50013
    assert sandbox.member_roles("member") == []


async def test_unknown_role_and_member(running: RunningBot) -> None:
    await allow_manage_roles(running)
    http = running.bot.http
    with pytest.raises(discord.NotFound) as unknown_role:
        await http.add_role(guild(running).id, member_object(running).id, 42)
    assert unknown_role.value.code == 10011
    with pytest.raises(discord.NotFound) as unknown_member:
        await http.remove_role(
            guild(running).id, 42, running.sandbox.world.role_id("asia-desk")
        )
    assert unknown_member.value.code == 10007
