"""``newsdesk migrate --to postgresql://…`` end to end: a bot stopped with posts in flight on
SQLite resumes on PostgreSQL, and every post appears exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import cli
from bot.app.settings import Settings
from bot.core.models import OutboxState
from bot.pipeline.deliver.deliverer import delivery_nonce
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import Sandbox
from storage import Database, Repositories
from tests.e2e.conftest import FAST_TIMINGS, FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.http_servers import RouteServer
from tests.fixtures.postgres import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
async def postgres_target(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh PostgreSQL database with the schema and no data."""
    address = await postgres_server.take()
    try:
        yield address
    finally:
        await postgres_server.give_back(address)


async def migrate(source: Path, target: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``newsdesk migrate`` as an operator would (it runs its own event loop, so in a
    thread of its own); return its exit status and what it printed."""
    status = await asyncio.to_thread(cli.main, ["migrate", "--from", str(source), "--to", target])
    printed = capsys.readouterr()
    return status, printed.out + printed.err


async def rows_of(target: Path | str, sql: str) -> list[tuple[object, ...]]:
    database = await Database.open(target)
    try:
        return [tuple(row) for row in await database.fetch_all(sql)]
    finally:
        await database.close()


async def test_a_bot_stopped_with_posts_in_flight_resumes_on_postgresql_posting_each_once(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, settings: Settings,
    postgres_target: str, capsys: pytest.CaptureFixture[str],
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)  # stories 3 and 4 posted
        # Then the deliverer stops with 5 sent but not recorded (a crash between the send
        # and its record) and 6, 7 waiting.
        await bot.remove_cog("Scheduler")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5, 6, 7))
        in_flight = (await bot.services.poller.poll_all()).outbox_ids
        await bot.reader.read_unread()
        database = await Database.open(settings.database)
        try:
            storage = Repositories.over(database)
            sending = await storage.outbox.claim(bot.services.clock(), 1)
            prefix = await storage.outbox.nonce_prefix()
        finally:
            await database.close()
        (delivery,) = sending
        channel = bot.get_partial_messageable(delivery.channel_id)
        await channel.send("first attempt", nonce=delivery_nonce(prefix, delivery.outbox_id))
    before = await rows_of(settings.database_path, "SELECT id, state FROM outbox ORDER BY id")
    assert [state for _, state in before] == ["sent", "sent", "sending", "pending", "pending"]

    status, printed = await migrate(settings.database_path, postgres_target, capsys)
    assert status == 0, printed
    assert f"the nonce prefix ({prefix}) kept" in printed

    on_postgres = replace(settings, database_url=postgres_target)
    assert await rows_of(postgres_target, "SELECT id, state FROM outbox ORDER BY id") == before
    async with bot_in_sandbox(sandbox, on_postgres, timings=FAST_TIMINGS) as bot:
        assert await bot.settle(in_flight, 30.0)
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5, 6, 7, 8))
        await poll_and_deliver(bot)

    # Story 5's post is the message of the interrupted send: its resend (same nonce) was
    # answered with it, not posted again.
    titles = [post.embeds[0]["title"] if post.embeds else post.content
              for post in sandbox.posts("news")]
    assert titles == [
        *(f"Story {n}: Mayor & council agree" for n in (3, 4)), "first attempt",
        *(f"Story {n}: Mayor & council agree" for n in (6, 7, 8)),
    ]
    # The resent row found Discord's first message by its nonce and recorded it; the new
    # story's row took an id past the copied ones (the sequences moved).
    after = await rows_of(postgres_target, "SELECT id, state FROM outbox ORDER BY id")
    assert after[:-1] == [(id_, OutboxState.SENT.value) for id_, _ in before]
    assert after[-1][1] == OutboxState.SENT.value
    assert int(str(after[-1][0])) > max(int(str(id_)) for id_, _ in before)


async def test_migrate_refuses_while_a_bot_holds_the_file_and_into_a_used_database(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, settings: Settings,
    postgres_target: str, capsys: pytest.CaptureFixture[str],
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await poll_and_deliver(bot)
        held, held_says = await migrate(settings.database_path, postgres_target, capsys)
    copied, _ = await migrate(settings.database_path, postgres_target, capsys)
    again, again_says = await migrate(settings.database_path, postgres_target, capsys)

    assert held == 1 and "is in use (is the bot running?)" in held_says
    assert copied == 0
    assert again == 1 and "already holds Newsdesk data (table feeds)" in again_says
    assert await rows_of(postgres_target, "SELECT COUNT(*) FROM subscriptions") == [(1,)]
