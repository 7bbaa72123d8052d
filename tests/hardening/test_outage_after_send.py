"""A crash between send and record, then a long outage: every post still arrives exactly once.

Discord de-duplicates a repeated nonce only for a few minutes, and webhook executions and
forum posts take no nonce at all. Here the bot's three kinds of post (a plain channel post,
a webhook post, a forum post) each reach Discord while their answer is held back by
``HoldingProxy``; the bot dies then, before it records anything, and comes back after an
outage longer than the nonce window (the sandbox's clock and the bot's both moved on).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

import aiohttp
import discord.http
import pytest
from aiohttp import web

from bot.app.services import utc_now
from bot.app.settings import Settings
from bot.discord_io.client import NewsdeskBot
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from tests.e2e.conftest import FAST_TIMINGS, BotStarter
from tests.fixtures.bot_storage import bot_rows
from tests.fixtures.discord_proxy import forward, serving
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import Route, RouteServer
from tests.waiting import eventually

RSS = {"Content-Type": "application/rss+xml"}
# What creates a post: a channel message, a webhook execution, a forum post (a thread).
POST_CREATES = re.compile(
    r"^/api/v10/(channels/\d+/messages|webhooks/(?P<webhook>\d+)/[^/]+|channels/\d+/threads)$"
)
DESTINATIONS = {"news": "Plain Wire", "world": "Hooked Wire", "forum-news": "Forum Wire"}
NEW_ITEMS = 3


@dataclass
class ShiftedClock:
    """The bot's clock: real time plus the outage a test pretends happened."""

    shift: timedelta = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.shift


@dataclass
class HoldingProxy:
    """A reverse proxy to the sandbox that lets post creations reach it, then never answers
    them (an interaction's follow-up, to the application's own webhook, goes through)."""

    upstream: str
    application_id: int
    held: int = 0
    base: str = ""
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _session: aiohttp.ClientSession | None = None

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        return await forward(self._session, self.upstream, request, body)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        created = POST_CREATES.match(request.path) if request.method == "POST" else None
        answer = await self._forward(request, body)
        if created is None or created["webhook"] == str(self.application_id):
            return answer
        self.held += 1
        await self._release.wait()  # Discord made the post; its answer never reaches the bot
        return answer

    @asynccontextmanager
    async def running(self) -> AsyncIterator[HoldingProxy]:
        async with serving(self._handle) as self.base:
            self._session = aiohttp.ClientSession()
            try:
                yield self
            finally:
                self._release.set()
                await self._session.close()


def rss(title: str, numbers: range) -> bytes:
    """A feed whose links are its own (no two feeds share an article)."""
    slug = title.lower().replace(" ", "-")
    items = "".join(
        f"<item><title>{escape(title)} story {n}</title>"
        f"<link>https://{slug}.example/story-{n}</link><guid>{slug}-{n}</guid>"
        f"<description>{escape(title)} reports on item {n}. It has two sentences.</description>"
        "</item>"
        for n in sorted(numbers, reverse=True)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://{slug}.example/</link>{items}"
        "</channel></rss>"
    ).encode()


def feed_path(title: str) -> str:
    return "/" + title.lower().replace(" ", "-") + ".xml"


async def follow_each_destination(sandbox: Sandbox, server: RouteServer) -> None:
    """#news by plain posts, #world through its webhook, #forum-news by forum posts."""
    for channel, title in DESTINATIONS.items():
        server.routes[feed_path(title)] = Route(200, RSS, rss(title, range(1)))
        added = await sandbox.run_command(
            f"/feed add url:{server.url(feed_path(title))} channel:#{channel}"
        )
        assert "Now following" in added.messages[-1].content, added.contents
    hooked = await sandbox.run_command("/feed webhook subscription:2 enabled:true")
    assert not hooked.timed_out, hooked.contents


def assert_posted_once(posts: list[RecordedMessage], title: str) -> None:
    titles = Counter(post.embeds[0]["title"] for post in posts)
    assert titles == Counter(f"{title} story {n}" for n in range(1, NEW_ITEMS + 1)), titles


@pytest.fixture
def bot_clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def start_shifted_bot(
    sandbox: Sandbox, settings: Settings, bot_clock: ShiftedClock
) -> BotStarter:
    def starter() -> contextlib.AbstractAsyncContextManager[NewsdeskBot]:
        return bot_in_sandbox(sandbox, settings, timings=FAST_TIMINGS, clock=bot_clock)

    return starter


async def crash_between_send_and_record(
    sandbox: Sandbox, server: RouteServer, bot_clock: ShiftedClock, start: BotStarter,
    outage: timedelta,
) -> None:
    """Follow one feed per kind of destination, let each destination's first new post reach
    Discord unanswered, kill the bot, wait out ``outage``, restart it and let it finish;
    assert every article was posted once and every row recorded with its post."""
    proxy = HoldingProxy(sandbox.api_base, sandbox.world.application_id)
    # The proxy outlives the bot: the bot dies with its three posts made and none recorded.
    async with proxy.running(), start() as bot:
        await follow_each_destination(sandbox, server)
        for title in DESTINATIONS.values():
            server.set_body(feed_path(title), rss(title, range(NEW_ITEMS + 1)))
        discord.http.Route.BASE = proxy.base  # the bot's exit puts the sandbox's back
        report = await bot.services.poller.poll_all()
        bot.new_posts_queued()
        await eventually(
            lambda: proxy.held == len(DESTINATIONS), timeout=20,
            message="each destination's first post reached Discord",
        )
    assert [len(sandbox.posts(channel)) for channel in DESTINATIONS] == [1, 1, 1]

    sandbox.advance_clock(outage.total_seconds())
    bot_clock.shift += outage
    async with start() as bot:
        assert await bot.settle(report.outbox_ids, 40)
        rows = await bot_rows(bot, "SELECT state, message_id FROM outbox")

    for channel, title in DESTINATIONS.items():
        assert_posted_once(sandbox.posts(channel), title)
    assert Counter(str(row[0]) for row in rows) == Counter(sent=NEW_ITEMS * len(DESTINATIONS))
    posted = {post.id for channel in DESTINATIONS for post in sandbox.posts(channel)}
    assert {int(row[1]) for row in rows} == posted


@on_both_engines
async def test_posts_cut_off_by_a_crash_and_a_ten_minute_outage_arrive_once_each(
    sandbox: Sandbox, server: RouteServer, bot_clock: ShiftedClock, start_shifted_bot: BotStarter
) -> None:
    await crash_between_send_and_record(
        sandbox, server, bot_clock, start_shifted_bot, timedelta(minutes=10)
    )


async def test_webhook_and_forum_posts_cut_off_by_a_crash_arrive_once_even_at_once(
    sandbox: Sandbox, server: RouteServer, bot_clock: ShiftedClock, start_shifted_bot: BotStarter
) -> None:
    # No outage: the plain post's nonce still works, but webhook and forum posts take none.
    await crash_between_send_and_record(
        sandbox, server, bot_clock, start_shifted_bot, timedelta(0)
    )


async def test_a_forum_post_archived_during_a_two_day_outage_is_found_not_reposted(
    sandbox: Sandbox, server: RouteServer, bot_clock: ShiftedClock, start_shifted_bot: BotStarter
) -> None:
    await crash_between_send_and_record(
        sandbox, server, bot_clock, start_shifted_bot, timedelta(days=2)
    )
    assert sandbox.state.world.primary.archived_thread_ids, "the first forum post was archived"
