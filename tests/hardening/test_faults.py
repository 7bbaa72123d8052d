"""Faults: the gateway drops mid-burst, Discord answers 500s or hangs up, the database is
locked or full, and the bot is killed in the middle of multi-step work.

Each test asserts what was kept: every post delivered exactly once (one sandbox message per
article and channel, every outbox row sent), nothing committed lost, nothing posted twice.

Discord's REST faults are injected by ``FaultyProxy``, a small aiohttp reverse proxy on
127.0.0.1 between the bot and the sandbox (``discord.http.Route.BASE`` points at it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import aiohttp
import discord.http
import pytest
from aiohttp import web

from bot.app.settings import Settings
from bot.core.models import OutboxState
from bot.discord_io.client import NewsdeskBot
from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from storage.engines.sqlite import SqliteDatabase
from tests.fixtures.bot_storage import bot_rows
from tests.fixtures.discord_proxy import forward, serving
from tests.fixtures.http_servers import Route, RouteServer
from tests.hardening.conftest import BotStarter, poll_and_deliver
from tests.waiting import eventually

RSS = {"Content-Type": "application/rss+xml"}
FEED = "/burst.xml"
Fault = Literal["500", "503", "500-after-send", "hang-up-after-send", "slow"]
MESSAGE_POST = re.compile(r"^/api/v10/channels/\d+/messages$")


WORDS = ("harbour", "council", "river", "budget", "school", "bridge", "festival", "market",
         "station", "library", "museum", "stadium", "garden", "airport", "hospital", "tunnel")


def distinct_text(seed: str) -> str:
    """A few sentences no other item shares (so story grouping never merges two items)."""
    digest = hashlib.sha256(seed.encode()).digest()
    words = [WORDS[byte % len(WORDS)] + str(byte) for byte in digest]
    return " ".join(words[:12]) + ". " + " ".join(words[12:24]) + "."


def rss(numbers: range | list[int], title: str = "Burst News") -> bytes:
    items = "".join(
        f"<item><title>{escape(title)} story {n}</title>"
        f"<link>https://burst.example/{escape(title)}/{n}</link><guid>{escape(title)}-{n}</guid>"
        f"<description>{distinct_text(f'{title}-{n}')}</description></item>"
        for n in sorted(numbers, reverse=True)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://burst.example/</link>{items}"
        "</channel></rss>"
    ).encode()


def assert_each_article_posted_once(posts: list[RecordedMessage], expected: int) -> None:
    titles = Counter(post.embeds[0]["title"] for post in posts)
    doubled = {title: count for title, count in titles.items() if count > 1}
    assert not doubled, f"posted twice: {doubled}"
    assert len(titles) == expected, sorted(titles)
    assert len({post.nonce for post in posts}) == len(posts)


async def outbox_states(bot: NewsdeskBot) -> Counter[str]:
    rows = await bot_rows(bot, "SELECT state FROM outbox")
    return Counter(str(row[0]) for row in rows)


async def follow_burst_feed(
    sandbox: Sandbox, server: RouteServer, title: str = "Burst News"
) -> None:
    server.routes[FEED] = Route(200, RSS, rss([0], title))
    outcome = await sandbox.run_command(f"/feed add url:{server.url(FEED)} channel:#news")
    assert "Now following" in outcome.messages[-1].content, outcome.contents


# ---------------------------------------------------------------- gateway


async def test_gateway_drops_and_resumes_mid_burst_every_post_once(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    async with start_bot() as bot:
        await follow_burst_feed(sandbox, server)
        server.set_body(FEED, rss(range(9)))
        report = await bot.services.poller.poll_all()
        bot.new_posts_queued()
        await sandbox.wait_for_posts("news", 2, timeout=20)
        await sandbox.drop_gateway(resumable=True)
        await sandbox.wait_for_posts("news", 4, timeout=20)
        await sandbox.drop_gateway(resumable=False)
        assert await bot.settle(report.outbox_ids, 40)
        await sandbox.wait_for_bot(timeout=20)
        listed = await sandbox.run_command("/feed list")
        assert not listed.timed_out and "Burst" in listed.messages[-1].content
        states = await outbox_states(bot)
    assert_each_article_posted_once(sandbox.posts("news"), 8)
    assert states == Counter({OutboxState.SENT: 8})


# ---------------------------------------------------------------- Discord REST faults


@dataclass
class FaultyProxy:
    """A reverse proxy to the sandbox's REST API that injects faults into message creates."""

    upstream: str
    fault: Fault | None = None
    remaining: int = 0
    injected: int = 0
    requests: list[str] = field(default_factory=list)
    base: str = ""
    _session: aiohttp.ClientSession | None = None

    def inject(self, fault: Fault, count: int) -> None:
        """Apply ``fault`` to the next ``count`` message creates."""
        self.fault, self.remaining = fault, count

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        return await forward(self._session, self.upstream, request, body)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(f"{request.method} {request.path}")
        faulty = (
            self.remaining > 0 and request.method == "POST"
            and MESSAGE_POST.match(request.path) is not None
        )
        if not faulty:
            return await self._forward(request, body)
        self.remaining -= 1
        self.injected += 1
        error = web.Response(
            status=int(self.fault[:3]) if self.fault and self.fault[0] == "5" else 500,
            body=b'{"message": "injected", "code": 0}',
            headers={"Content-Type": "application/json"},
        )
        if self.fault in ("500", "503"):
            return error
        if self.fault == "slow":
            await asyncio.sleep(2.0)
            return await self._forward(request, body)
        await self._forward(request, body)  # Discord created the message; the answer is lost
        if self.fault == "500-after-send":
            return error
        assert request.transport is not None
        request.transport.abort()  # hang up without answering
        raise ConnectionResetError("injected hang-up")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FaultyProxy]:
        async with serving(self._handle) as self.base:
            self._session = aiohttp.ClientSession()
            try:
                yield self
            finally:
                await self._session.close()


@asynccontextmanager
async def through_proxy(sandbox: Sandbox) -> AsyncIterator[FaultyProxy]:
    """Route the (already started) bot's REST calls through a ``FaultyProxy``."""
    proxy = FaultyProxy(sandbox.api_base)
    async with proxy.running():
        previous = discord.http.Route.BASE
        discord.http.Route.BASE = proxy.base
        try:
            yield proxy
        finally:
            discord.http.Route.BASE = previous


@pytest.mark.parametrize(
    ("fault", "count"),
    [("500", 2), ("503", 1), ("500-after-send", 1), ("slow", 1)],
)
async def test_discord_errors_for_a_while_posts_delivered_once(
    fault: Fault, count: int, sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    async with start_bot() as bot, through_proxy(sandbox) as proxy:
        await follow_burst_feed(sandbox, server)
        server.set_body(FEED, rss(range(6)))
        proxy.inject(fault, count)
        report = await bot.services.poller.poll_all()
        assert await bot.settle(report.outbox_ids, 40)
        assert proxy.injected == count
        states = await outbox_states(bot)
        listed = await sandbox.run_command("/feed list")
    assert not listed.timed_out
    assert_each_article_posted_once(sandbox.posts("news"), 5)
    assert states == Counter({OutboxState.SENT: 5})


async def test_discord_hanging_up_after_sending_posts_delivered_once(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    async with start_bot() as bot, through_proxy(sandbox) as proxy:
        await follow_burst_feed(sandbox, server)
        server.set_body(FEED, rss(range(4)))
        proxy.inject("hang-up-after-send", 2)
        report = await bot.services.poller.poll_all()
        delivered = await bot.settle(report.outbox_ids, 20)
        assert proxy.injected == 2
        states = await outbox_states(bot)
    assert_each_article_posted_once(sandbox.posts("news"), 3)
    assert delivered
    assert states == Counter({OutboxState.SENT: 3})


# ---------------------------------------------------------------- the database


@asynccontextmanager
async def write_lock_held(path: Path, seconds: float) -> AsyncIterator[None]:
    """Hold SQLite's write lock on ``path`` from a second connection for ``seconds``."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")
    release = asyncio.get_running_loop().call_later(seconds, other.execute, "ROLLBACK")
    try:
        yield
    finally:
        await asyncio.sleep(max(0.0, release.when() - asyncio.get_running_loop().time()))
        with contextlib.suppress(sqlite3.Error):
            other.execute("ROLLBACK")
        other.close()


async def test_database_locked_for_a_few_seconds_writes_wait_nothing_lost(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer, settings: Settings
) -> None:
    async with start_bot() as bot:
        await follow_burst_feed(sandbox, server)
        server.set_body(FEED, rss(range(6)))
        async with write_lock_held(settings.database_path, 2.0):
            report = await bot.services.poller.poll_all()
        assert report.feeds_failed == 0
        assert await bot.settle(report.outbox_ids, 30)
        states = await outbox_states(bot)
    assert_each_article_posted_once(sandbox.posts("news"), 5)
    assert states == Counter({OutboxState.SENT: 5})


async def test_database_locked_past_busy_timeout_recovers_and_loses_nothing(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer, settings: Settings
) -> None:
    async with start_bot() as bot:
        await follow_burst_feed(sandbox, server)
        server.set_body(FEED, rss(range(6)))
        async with write_lock_held(settings.database_path, 6.0):
            with contextlib.suppress(sqlite3.OperationalError):
                await bot.services.poller.poll_all()
        await poll_and_deliver(bot)  # the fault cleared: the next check brings everything
        await poll_and_deliver(bot)
        states = await outbox_states(bot)
        listed = await sandbox.run_command("/feed list")
    assert not listed.timed_out
    assert_each_article_posted_once(sandbox.posts("news"), 5)
    assert states == Counter({OutboxState.SENT: 5})


async def test_read_only_commands_answer_while_the_database_is_locked(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer, settings: Settings
) -> None:
    async with start_bot() as bot:
        await follow_burst_feed(sandbox, server)
        server.set_body(FEED, rss(range(3)))
        async with write_lock_held(settings.database_path, 6.0):
            polling = asyncio.create_task(bot.services.poller.poll_all())
            writer = bot.deliverer._repos.database  # the fault hook: the bot's own database
            assert isinstance(writer, SqliteDatabase)
            await eventually(
                lambda: server.count(FEED) == 2 and writer._lock.locked(),
                message="the poll fetched the feed and the bot waits to write",
            )
            listed = await sandbox.run_command("/feed list")
            with contextlib.suppress(sqlite3.OperationalError):
                await polling
    assert not listed.timed_out, "the application did not respond within 3 s"


@asynccontextmanager
async def database_full(bot: NewsdeskBot) -> AsyncIterator[None]:
    """Make the bot's SQLite file unable to grow ("database or disk is full").

    ``PRAGMA max_page_count`` is per connection, so it is set on the bot's own connection
    (a second connection could not impose it); a process-wide ``RLIMIT_FSIZE`` would hit
    pytest's own files too and raise SIGXFSZ.
    """
    database = bot.deliverer._repos.database  # the bot's own connection
    assert isinstance(database, SqliteDatabase)
    connection = database._connection  # the fault hook
    async with connection.execute("PRAGMA page_count") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    await connection.execute(f"PRAGMA max_page_count = {int(row[0])}")
    try:
        yield
    finally:
        await connection.execute("PRAGMA max_page_count = 1073741823")


def big_rss(numbers: range) -> bytes:
    """Items with long descriptions, so storing them needs new database pages."""
    items = "".join(
        f"<item><title>Full story {n}</title><link>https://full.example/{n}</link>"
        f"<guid>full-{n}</guid><description>{'Long paragraph. ' * 400}</description></item>"
        for n in sorted(numbers, reverse=True)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Full Disk News</title>"
        f"<link>https://full.example/</link>{items}</channel></rss>"
    ).encode()


async def test_disk_full_keeps_answering_and_recovers_without_loss(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    server.routes[FEED] = Route(200, RSS, big_rss(range(1)))
    server.routes["/other.xml"] = Route(200, RSS, rss([1], "Other"))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{server.url(FEED)} channel:#news")
        server.set_body(FEED, big_rss(range(8)))
        async with database_full(bot):
            with contextlib.suppress(sqlite3.OperationalError):
                await bot.services.poller.poll_all()
            listed = await sandbox.run_command("/feed list")
            added = await sandbox.run_command(
                f"/feed add url:{server.url('/other.xml')} channel:#world"
            )
            assert sandbox.posts("news") == []
        # Cleared: everything the feed published while the disk was full is posted once.
        await poll_and_deliver(bot)
        await poll_and_deliver(bot)
        states = await outbox_states(bot)
    assert not listed.timed_out and "Full Disk News" in listed.messages[-1].content
    assert not added.timed_out and added.messages, "a write command still answers"
    assert_each_article_posted_once(sandbox.posts("news"), 7)
    assert states == Counter({OutboxState.SENT: 7})


async def test_disk_full_is_reported_in_plain_words(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    server.routes["/other.xml"] = Route(200, RSS, big_rss(range(3)))
    async with start_bot() as bot, database_full(bot):
        added = await sandbox.run_command(
            f"/feed add url:{server.url('/other.xml')} channel:#world"
        )
    text = added.messages[-1].content.lower()
    assert "full" in text or "storage" in text or "disk" in text, text


# ---------------------------------------------------------------- restarts mid-operation


@asynccontextmanager
async def killed_after_posts(sandbox: Sandbox, count: int) -> AsyncIterator[asyncio.Event]:
    """An event set once ``count`` posts have arrived (the test then kills the bot)."""
    reached = asyncio.Event()
    seen: list[int] = []

    def on_message(message: RecordedMessage) -> None:
        if message.kind == "post":
            seen.append(message.id)
            if len(seen) >= count:
                reached.set()

    unsubscribe = sandbox.on_message(on_message)
    try:
        yield reached
    finally:
        unsubscribe()


async def abort_running_commands() -> None:
    """Cancel the bot's in-flight command handlers, as a crash would."""
    tasks = [task for task in asyncio.all_tasks() if task.get_name() == "CommandTree-invoker"]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_restart_mid_burst_posts_the_rest_once(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    async with start_bot() as bot:
        await follow_burst_feed(sandbox, server)
        server.set_body(FEED, rss(range(9)))
        async with killed_after_posts(sandbox, 4) as reached:
            report = await bot.services.poller.poll_all()
            bot.new_posts_queued()
            await asyncio.wait_for(reached.wait(), 20)
    assert 4 <= len(sandbox.posts("news")) < 8, "the kill came mid-burst"
    async with start_bot() as bot:
        assert await bot.settle(report.outbox_ids, 40)
        states = await outbox_states(bot)
    assert_each_article_posted_once(sandbox.posts("news"), 8)
    assert states == Counter({OutboxState.SENT: 8})


async def test_restart_mid_backfill_posts_each_backfilled_item_once(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    server.routes[FEED] = Route(200, RSS, rss(range(1, 11)))
    async with start_bot(), killed_after_posts(sandbox, 1) as reached:
        added = await sandbox.run_command(
            f"/feed add url:{server.url(FEED)} channel:#news backfill:8"
        )
        assert "Now following" in added.messages[-1].content
        await asyncio.wait_for(reached.wait(), 20)
    async with start_bot() as bot:
        rows = await bot_rows(bot, "SELECT id FROM outbox")
        assert await bot.settle([int(row[0]) for row in rows], 40)
        assert await poll_and_deliver(bot) == []
        states = await outbox_states(bot)
    assert_each_article_posted_once(sandbox.posts("news"), 8)
    assert states == Counter({OutboxState.SENT: 8})


async def test_restart_mid_opml_import_keeps_what_was_committed(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer, tmp_path: Path
) -> None:
    fast = [f"/fast-{n}.xml" for n in range(3)]
    slow = [f"/slow-{n}.xml" for n in range(3)]
    for path in fast:
        server.routes[path] = Route(200, RSS, rss([1, 2], path.strip("/")))
    for path in slow:
        server.routes[path] = Route(200, RSS, rss([1, 2], path.strip("/")), delay_seconds=6.0)
    # The slow feeds live on another host name, so the per-host limit never queues the fast
    # ones behind them.
    slow_base = server.base_url.replace("127.0.0.1", "localhost")
    urls = [server.url(p) for p in fast] + [slow_base + p for p in slow]
    outlines = "".join(f"<outline text='x' xmlUrl='{url}'/>" for url in urls)
    opml = tmp_path / "feeds.opml"
    opml.write_text(f"<opml version='2.0'><head/><body>{outlines}</body></opml>")
    guild_id = sandbox.world.guild_id
    async with start_bot() as bot:
        importing = asyncio.create_task(
            sandbox.run_command(f"/feed import file:{opml} channel:#news", timeout=60)
        )

        async def fast_kept_and_slow_fetching() -> bool:
            kept = await bot.services.subscriptions.list_subscriptions(guild_id)
            return len(kept) == 3 and any(server.count(path) for path in slow)

        await eventually(fast_kept_and_slow_fetching, timeout=20, message="mid-import")
        await abort_running_commands()  # the crash: mid-import, slow feeds still fetching
    importing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await importing
    for path in slow:
        server.routes[path] = Route(200, RSS, rss([1, 2], path.strip("/")))
    async with start_bot() as bot:
        kept = await bot.services.subscriptions.list_subscriptions(guild_id)
        assert sorted(view.feed_title for view in kept) == ["fast-0.xml", "fast-1.xml",
                                                            "fast-2.xml"]
        again = await sandbox.run_command(f"/feed import file:{opml} channel:#news", timeout=30)
        assert "3 added, 3 skipped, 0 failed" in again.messages[-1].content
        assert await poll_and_deliver(bot) == []  # nothing old is posted
        for path in fast + slow:
            server.set_body(path, rss([1, 2, 3], path.strip("/")))
        await poll_and_deliver(bot)
        states = await outbox_states(bot)
    assert_each_article_posted_once(sandbox.posts("news"), 6)
    assert states == Counter({OutboxState.SENT: 6})
