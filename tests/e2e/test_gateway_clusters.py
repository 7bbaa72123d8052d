"""Sharding in the sandbox (issue 18's "done when"): 30 servers over 3 shards in 2 processes,
every server's commands and posts working.

One sandbox Discord holds 30 servers. Gateway process A runs shards 0-1 and process B shard
2, each a real child process running ``serve_role("gateway", …)`` (what ``newsdesk run --role
gateway --shards … --shard-count 3`` runs) pointed at the sandbox, over one PostgreSQL
database. With ``max_concurrency`` 2 a shard's IDENTIFY bucket is ``shard_id % 2``: shard 0 (process
A) and shard 2 (process B) share bucket 0, and the sandbox refuses any two of a bucket within
5 s, so none refused means the processes took turns through the database; shard 1 has bucket 1
to itself and starts alongside (one 5 s turn to wait, not two).

Every server's ``/feed add`` (with one backfilled item) must be answered, and only the
session of the server's shard ``(guild_id >> 22) % 3`` may have received it. Its post must
then be delivered by the rest of the pipeline, each a role process of its own over the same
database: a reader, a story desk and a deliverer (``--role reader``, ``desk``, ``deliverer``;
no poller: ``/feed add`` fetches the feed itself). The gateway processes' hints (new feeds,
queued articles) are counted here: they are how a gateway process, which runs no pipeline,
hands the work on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.support.delivery import SandboxInfo
from bench.support.role_process import role_command, write_settings
from bot.app.settings import Settings
from bot.sandbox.fake_discord import Sandbox, SandboxWorld, ShardingOptions
from bot.sandbox.fake_discord.gateway import shard_of
from storage import Database
from storage.wakeups import Topic, Wakeups
from tests.e2e.conftest import rss
from tests.fixtures.discord_spec import describe_schema_refusals, openapi_spec_folder
from tests.fixtures.http_servers import Route, RouteServer, serve_routes

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
GUILDS = 30
SHARD_COUNT = 3
# The processes: (role, shards); the gateways first.
PROCESSES = {
    "gateway-a": ("gateway", "0-1"),
    "gateway-b": ("gateway", "2"),
    "reader": ("reader", None),
    "desk": ("desk", None),
    "deliverer": ("deliverer", None),
}
START_SECONDS = 120.0


@pytest.fixture
def storage_engine() -> str:
    """Gateway processes share their work through PostgreSQL only."""
    return "postgres"


def thirty_servers() -> SandboxWorld:
    world = SandboxWorld.default()
    for number in range(1, GUILDS):
        world.add_guild(f"Desk {number:02d}")
    return world


def feed_path(index: int) -> str:
    return f"/feeds/{index}.xml"


@contextlib.asynccontextmanager
async def role_process(
    role: str, shards: str | None, settings_path: Path, sandbox_info: Path, log_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A role in a process of its own pointed at the sandbox, stopped (SIGTERM) on exit."""
    arguments = role_command(
        role, settings_path, sandbox_info, shards=shards,
        shard_count=SHARD_COUNT if shards is not None else None,
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.support.role_process", *arguments,
            env=environment, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def wait_for_log(
    process: asyncio.subprocess.Process, log_path: Path, text: str, wait_seconds: float
) -> None:
    """Wait until the process logs ``text``; fail with its log if it ends or takes too long."""
    async with asyncio.timeout(wait_seconds):
        while text not in (logged := await asyncio.to_thread(log_path.read_text)):
            if process.returncode is not None:
                pytest.fail(f"{log_path.name} ended:\n{logged[-4000:]}")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def hints_heard(address: str) -> AsyncIterator[Counter[Topic]]:
    """Listen to every wake-up hint on the shared database; yield their count per topic."""
    database = await Database.open(address)
    wakeups = Wakeups(database)
    hints: Counter[Topic] = Counter()
    for topic in Topic:
        wakeups.listen(topic, functools.partial(hints.update, [topic]))
    try:
        await wakeups.start()
        yield hints
    finally:
        await wakeups.close()
        await database.close()


async def test_thirty_servers_over_three_shards_in_two_processes_all_work(
    database_target: Path | str, tmp_path: Path
) -> None:
    assert isinstance(database_target, str)
    world = thirty_servers()
    assert set(Counter(shard_of(g.id, SHARD_COUNT) for g in world.guilds)) == {0, 1, 2}
    feeds = {
        feed_path(index): Route(200, {"Content-Type": "application/rss+xml"},
                                rss(index, title=guild.name))
        for index, guild in enumerate(world.guilds)
    }
    sharding = ShardingOptions(recommended_shards=SHARD_COUNT, max_concurrency=2)
    async with (
        Sandbox(world=world, sharding=sharding, openapi_spec=openapi_spec_folder()) as sandbox,
        serve_routes(feeds) as feed_server,
    ):
        settings_path, sandbox_info = tmp_path / "settings.json", tmp_path / "sandbox.json"
        write_settings(
            Settings(
                discord_token=sandbox.bot_token,
                dev_guild_id=world.guild_id,
                database_url=database_target,
                allow_private_addresses=True,
                read_workers=1,
            ),
            settings_path,
        )
        info = SandboxInfo(
            api_base=sandbox.api_base, gateway_url=sandbox.gateway_url, control_url="",
            token=sandbox.bot_token, guild_id=world.guild_id, channel_ids=[],
        )
        sandbox_info.write_text(json.dumps(dataclasses.asdict(info)))
        async with contextlib.AsyncExitStack() as stack:
            processes = {
                name: await stack.enter_async_context(
                    role_process(role, shards, settings_path, sandbox_info, tmp_path / name)
                )
                for name, (role, shards) in PROCESSES.items()
            }
            for name in ("gateway-a", "gateway-b"):
                await wait_for_log(processes[name], tmp_path / name, "gateway ready", START_SECONDS)
            gateway = sandbox.state.gateway
            assert gateway.connected_shards() == [(0, 3), (1, 3), (2, 3)]
            assert gateway.identify_count == SHARD_COUNT
            assert gateway.refused_identifies == 0, "the two processes took turns to identify"
            published = await sandbox.run_command("/sync scope:global", user="owner", timeout=30)
            assert "Published" in published.contents[-1], published
            hints = await stack.enter_async_context(hints_heard(database_target))
            await check_every_server(sandbox, feed_server, hints)
    refused = describe_schema_refusals(sandbox)
    assert not refused, f"Discord's OpenAPI schema refused the bot's requests:\n{refused}"


async def check_every_server(
    sandbox: Sandbox, feed_server: RouteServer, hints: Counter[Topic]
) -> None:
    """Every server's /feed add is answered from its shard, and its post is delivered."""
    world = sandbox.world
    for index, guild in enumerate(world.guilds):
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url(feed_path(index))} channel:#news backfill:1",
            guild=guild.name, timeout=30,
        )
        assert outcome.received_by == [(shard_of(guild.id, SHARD_COUNT), SHARD_COUNT)]
        assert not outcome.timed_out and "Now following" in outcome.contents[-1], (
            guild.name, outcome,
        )
    for index, guild in enumerate(world.guilds):
        news = world.channel_id("news", guild_id=guild.id)
        posts = await sandbox.wait_for_posts(news, 1, timeout=60)
        assert [post.embeds[0]["title"] for post in posts] == [
            f"Story {index}: Mayor & council agree"
        ], guild.name
    # Only the gateway processes hint new feeds and queued articles (no poller runs).
    assert hints[Topic.FEEDS_CHANGED] >= 1 and hints[Topic.ARTICLES_QUEUED] >= 1
