"""End-to-end fixtures: the real bot against the sandbox, real SQLite, real feed servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from aiohttp import web

from bot.app.settings import Settings
from bot.discord_io.client import NewsdeskBot
from bot.pipeline.timings import PipelineTimings
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from bot.sandbox.fake_discord.gateway import IDENTIFY_WINDOW_SECONDS
from tests.fixtures.discord_spec import describe_schema_refusals, openapi_spec_folder
from tests.fixtures.http_servers import Route, RouteServer, serve_routes

FEED_PATH = "/feed.xml"
# Items are dated from a day ago (story n at n hours after): fresh news whenever the tests
# run, so a subscription's maximum article age (3 days by default) never holds them back.
BASE_TIME = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)

BotStarter = Callable[[], AbstractAsyncContextManager[NewsdeskBot]]
# Every wait of the pipeline made short: the reader and deliverer are woken by what they wait
# for, and the idle wake only backs that up; a failed send is retried after 50 ms, not 5 s.
FAST_TIMINGS = PipelineTimings(idle_wake_seconds=0.2, retry_base_seconds=0.05)


def rss(*numbers: int, title: str = "Example News") -> bytes:
    """An RSS 2.0 feed with items ``n`` (newest first), each with guid, link and date."""
    items = []
    for number in sorted(numbers, reverse=True):
        published = (BASE_TIME + timedelta(hours=number)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        items.append(
            f"<item><title>Story {number}: {escape('Mayor & council agree')}</title>"
            f"<link>https://news.example/story-{number}</link>"
            f"<guid isPermaLink='false'>story-{number}</guid><pubDate>{published}</pubDate>"
            f"<description>Paragraph for story {number}. It has two sentences.</description>"
            "</item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>Test feed</description>{''.join(items)}</channel></rss>"
    ).encode()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A running sandbox Discord that checks every body against Discord's OpenAPI schema.

    A body the schema refuses is a bot bug even when the bot shrugs the 400 off, so the test
    fails at teardown with what was sent and why.
    """
    async with Sandbox(openapi_spec=openapi_spec_folder()) as running:
        yield running
        refused = describe_schema_refusals(running)
        assert not refused, f"Discord's OpenAPI schema refused the bot's requests:\n{refused}"


@pytest.fixture
async def feed_server() -> AsyncIterator[RouteServer]:
    """A feed server on 127.0.0.1 serving ``rss(1, 2)`` at ``/feed.xml``."""
    async with serve_routes(
        {FEED_PATH: Route(200, {"Content-Type": "application/rss+xml"}, rss(1, 2))}
    ) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, database_target: Path | str) -> Settings:
    """Settings with a temporary database (a SQLite file, or a fresh PostgreSQL database for
    tests ``@on_both_engines``) and no automatic polling (tests poll explicitly)."""
    return Settings(
        database_path=tmp_path / "newsdesk.sqlite3",
        database_url=database_target if isinstance(database_target, str) else None,
        scheduler_tick_seconds=3600.0,
        default_interval_seconds=3600,
    )


@pytest.fixture
def start_bot(sandbox: Sandbox, settings: Settings) -> BotStarter:
    """Start (or restart, with the same database) the real bot against the sandbox.

    A restart stands for the process started again a while later: the sandbox clock moves on
    past Discord's 5 s between two IDENTIFYs of a bucket, which the new process would
    otherwise be refused and wait out (about 5.5 s a restart, dozens of them in the suite).
    """

    def starter() -> AbstractAsyncContextManager[NewsdeskBot]:
        if sandbox.state.gateway.identify_count:
            sandbox.state.clock.advance(IDENTIFY_WINDOW_SECONDS)
        return bot_in_sandbox(sandbox, settings, timings=FAST_TIMINGS)

    return starter


async def poll_and_deliver(bot: NewsdeskBot, wait_seconds: float = 30.0) -> list[int]:
    """Poll every followed feed now and wait for the posts it caused; return outbox ids."""
    report = await bot.services.poller.poll_all()
    assert await bot.settle(report.outbox_ids, wait_seconds)
    return report.outbox_ids


def last_edit(sandbox: Sandbox, message_id: int) -> RecordedMessage:
    """The latest version of a message: the original, or its last edit."""
    return [
        m for m in sandbox.messages if message_id in (m.id, m.edited_message_id)
    ][-1]


def fast_and_slow_opml(feed_server: RouteServer, path: Path) -> tuple[Path, asyncio.Event]:
    """Write an OPML file of two feeds: FEED_PATH, and one that answers only once the
    returned event is set (an import that stays in progress as long as a test needs)."""
    release = asyncio.Event()

    async def slow_feed(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(body=rss(2, title="Slow"), content_type="application/rss+xml")

    feed_server.routes["/slow.xml"] = slow_feed
    path.write_text(
        "<opml version='2.0'><body>"
        f"<outline text='Fast' xmlUrl='{feed_server.url(FEED_PATH)}'/>"
        f"<outline text='Slow' xmlUrl='{feed_server.url('/slow.xml')}'/>"
        "</body></opml>"
    )
    return path, release
