"""Hardening fixtures: the real bot in the sandbox, a second server, and snapshots of state.

Every server here is a real aiohttp server on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from bot.discord_io.client import NewsdeskBot
from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.world import GuildSpec
from tests.e2e.conftest import (  # the same bot-in-sandbox fixtures as the e2e tests
    BotStarter,
    poll_and_deliver,
    sandbox,
    settings,
    start_bot,
)
from tests.fixtures.bot_storage import bot_rows
from tests.fixtures.http_servers import RouteServer, serve_routes
from tests.waiting import eventually

__all__ = ["BotStarter", "poll_and_deliver", "sandbox", "settings", "start_bot"]

SECOND_GUILD = "Rival Desk"


@pytest.fixture
async def server() -> AsyncIterator[RouteServer]:
    """An empty route server on 127.0.0.1 (tests add their routes)."""
    async with serve_routes({}) as running:
        yield running


async def add_second_guild(
    sandbox: Sandbox, bot: NewsdeskBot, name: str = SECOND_GUILD
) -> GuildSpec:
    """Add a second server, wait until the bot knows it, and sync the commands there."""
    guild = await sandbox.add_guild(name)
    await eventually(lambda: bot.get_guild(guild.id), message=f"the bot knows {name}")
    target = discord.Object(id=guild.id)
    bot.tree.copy_global_to(guild=target)
    await bot.tree.sync(guild=target)
    return guild


async def subscription_rows(bot: NewsdeskBot, guild_id: int) -> list[tuple[object, ...]]:
    """Every column of a server's subscriptions, read straight from SQLite."""
    rows = await bot_rows(
        bot, "SELECT * FROM subscriptions WHERE guild_id = ? ORDER BY id", (guild_id,)
    )
    return [tuple(row) for row in rows]


async def feed_rows(bot: NewsdeskBot) -> list[tuple[object, ...]]:
    """Scheduling columns of every feed (interval, next check, errors, enabled)."""
    rows = await bot_rows(bot, "SELECT * FROM feeds ORDER BY id")
    return [tuple(row) for row in rows]
