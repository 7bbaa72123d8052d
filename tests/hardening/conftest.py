"""Hardening fixtures: the real bot in the sandbox, a second server, and snapshots of state.

Every server here is a real aiohttp server on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import discord
import pytest

from bot.discord_bot import NewsdeskBot
from bot.sandbox import Sandbox
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.world import GuildSpec
from bot.settings import Settings
from tests.fixtures.http_servers import RouteServer, serve_routes

BotStarter = Callable[[], AbstractAsyncContextManager[NewsdeskBot]]
SECOND_GUILD = "Rival Desk"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A running sandbox Discord."""
    async with Sandbox() as running:
        yield running


@pytest.fixture
async def server() -> AsyncIterator[RouteServer]:
    """An empty route server on 127.0.0.1 (tests add their routes)."""
    async with serve_routes({}) as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a temporary database and no automatic polling (tests poll explicitly)."""
    return Settings(
        database_path=tmp_path / "newsdesk.sqlite3",
        scheduler_tick_seconds=3600.0,
        default_interval_seconds=3600,
    )


@pytest.fixture
def start_bot(sandbox: Sandbox, settings: Settings) -> BotStarter:
    """Start (or restart, with the same database) the real bot against the sandbox."""

    def starter() -> AbstractAsyncContextManager[NewsdeskBot]:
        return bot_in_sandbox(sandbox, settings)

    return starter


async def add_second_guild(
    sandbox: Sandbox, bot: NewsdeskBot, name: str = SECOND_GUILD
) -> GuildSpec:
    """Add a second server, wait until the bot knows it, and sync the commands there."""
    guild = await sandbox.add_guild(name)
    async with asyncio.timeout(10):
        while bot.get_guild(guild.id) is None:  # noqa: ASYNC110 (bounded by the timeout)
            await asyncio.sleep(0.02)
    target = discord.Object(id=guild.id)
    bot.tree.copy_global_to(guild=target)
    await bot.tree.sync(guild=target)
    return guild


async def poll_and_deliver(bot: NewsdeskBot, wait_seconds: float = 30.0) -> list[int]:
    """Poll every followed feed now and wait for the posts it caused; return outbox ids."""
    report = await bot.services.poller.poll_all()
    assert await bot.settle(report.outbox_ids, wait_seconds)
    return report.outbox_ids


async def subscription_rows(bot: NewsdeskBot, guild_id: int) -> list[tuple[object, ...]]:
    """Every column of a server's subscriptions, read straight from SQLite."""
    rows = await bot.services.repositories.database.fetch_all(
        "SELECT * FROM subscriptions WHERE guild_id = ? ORDER BY id", (guild_id,)
    )
    return [tuple(row) for row in rows]


async def feed_rows(bot: NewsdeskBot) -> list[tuple[object, ...]]:
    """Scheduling columns of every feed (interval, next check, errors, enabled)."""
    rows = await bot.services.repositories.database.fetch_all(
        "SELECT * FROM feeds ORDER BY id"
    )
    return [tuple(row) for row in rows]
