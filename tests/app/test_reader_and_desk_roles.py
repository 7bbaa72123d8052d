"""Readers ×M and the story desk (leader + standby) over PostgreSQL: two readers never read
one article at once, a reader killed with kill -9 leaves its article to another once its
lease has passed, the roles hand work to each other through LISTEN/NOTIFY, and a standby
desk takes over from the leader and carries on without deciding anything twice, while a
stale leader's decision is refused."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app.polling import fetch_settings_for
from bot.app.roles import RoleContext, desk_role, reader_role
from bot.app.roles.leadership import Leadership
from bot.app.settings import Settings
from bot.core.errors import LeadershipLost
from bot.core.models import (
    ArticleDetails,
    ArticleReading,
    FeedCheck,
    FeedSnapshot,
    NewArticle,
)
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.read.reader import CONCURRENT_READS, ArticleReader, ReadingLease
from bot.pipeline.story.copies import fingerprint
from bot.pipeline.story.desk import StoryDesk
from bot.pipeline.timings import PipelineTimings
from bot.pipeline.worker_pool import WorkerPool
from storage import Database, Repositories
from storage.leases import Fence
from storage.wakeups import Topic, Wakeups
from tests.fixtures.engines import on_postgres
from tests.fixtures.http_servers import serve_routes
from tests.waiting import eventually

pytestmark = on_postgres

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(microsecond=0)
GUILD = 111
TIMINGS = PipelineTimings(idle_wake_seconds=0.2)
# Only hints wake these: an idle wake would come long after every test has ended.
HINTS_ONLY = PipelineTimings(idle_wake_seconds=3600.0)
LEASE_SECONDS = 1.5

WORDS = (
    "council", "harbour", "budget", "river", "school", "bridge", "museum", "market", "tram",
    "library", "festival", "stadium", "hospital", "airport", "railway", "factory", "garden",
    "theatre", "station", "ferry", "tunnel", "orchestra", "vineyard", "lighthouse",
)


def story_text(story: int) -> str:
    """A text of about 80 words only story ``story`` uses (its copies carry it whole)."""
    words = [WORDS[(story * 7 + n * (story + 3)) % len(WORDS)] for n in range(80)]
    return f"Story {story} begins. " + " ".join(f"{word}{story}x{n % 9}" for n, word in
                                                enumerate(words)) + "."


def page(story: int) -> bytes:
    return (
        "<html lang='en'><head><title>Story</title></head><body><article><h1>Story</h1>"
        f"<p>{story_text(story)}</p></article></body></html>"
    ).encode()


async def subscribe(repositories: Repositories, feed: str, channel: int) -> int:
    """Subscribe ``channel`` to an empty feed at ``feed``; return the feed's id."""
    snapshot = FeedSnapshot(
        url=feed, title=f"Feed {channel}", site_url=None, etag=None, last_modified=None,
        body_sha256="seed", interval_seconds=600, next_check_at=NOW + timedelta(hours=1),
        entries=[],
    )
    result = await repositories.subscriptions.subscribe(
        GUILD, channel, snapshot, created_by=1, now=NOW, max_feeds=10
    )
    return result.subscription.feed_id


async def queue(repositories: Repositories, feed_id: int, urls: list[str]) -> list[int]:
    """Store new articles at ``urls`` for the feed (queued for its channel); return ids."""
    check = FeedCheck(
        title="Feed", site_url=None, etag=None, last_modified=None, body_sha256=str(urls),
        next_check_at=NOW + timedelta(hours=1),
    )
    articles = [
        NewArticle(
            entry_key=url, url=url, title=f"Item {url.rsplit('/', 1)[-1]}", summary="Short.",
            author=None, image_url=None, published_at=NOW + timedelta(seconds=n),
        )
        for n, url in enumerate(urls)
    ]
    await repositories.articles.ingest(feed_id, articles, check, NOW)
    rows = await repositories.database.fetch_all(
        f"SELECT id FROM articles WHERE feed_id = ? ORDER BY id DESC LIMIT {len(urls)}",
        (feed_id,),
    )
    return sorted(int(row[0]) for row in rows)


async def column(database: Database, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
    return [row[0] for row in await database.fetch_all(sql, params)]


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    """One worker process reading pages for the readers of a test."""
    workers = WorkerPool(1, 20.0)
    try:
        yield workers
    finally:
        await workers.close()


@contextlib.asynccontextmanager
async def reader_over(
    address: str, pool: WorkerPool, name: str
) -> AsyncIterator[ArticleReader]:
    """A reader process's parts: its own database pool and fetcher, a shared worker pool."""
    database = await Database.open(address)
    settings = Settings(allow_private_addresses=True, per_host_limit=CONCURRENT_READS)
    fetch_settings = fetch_settings_for(settings)
    session = Fetcher.create_session(fetch_settings)
    try:
        yield ArticleReader(
            Repositories.over(database), Fetcher(session, fetch_settings),
            lambda: datetime.now(UTC), pool=pool, timings=TIMINGS,
            lease=ReadingLease(name, seconds=600.0),
        )
    finally:
        await session.close()
        await database.close()


async def drain(reader: ArticleReader) -> None:
    while await reader.read_unread():
        pass


async def test_two_readers_never_read_the_same_article_at_once(
    database_target: str, repositories: Repositories, pool: WorkerPool
) -> None:
    release = asyncio.Event()

    async def slow_page(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(body=page(int(request.path.rsplit("/", 1)[-1])),
                            content_type="text/html")

    async with serve_routes({f"/page/{n}": slow_page for n in range(12)}) as server:
        feed_id = await subscribe(repositories, "https://feeds.example/a", 1001)
        ids = await queue(repositories, feed_id, [server.url(f"/page/{n}") for n in range(12)])
        async with reader_over(database_target, pool, "reader-a") as first, \
                reader_over(database_target, pool, "reader-b") as second:
            draining = [asyncio.create_task(drain(reader)) for reader in (first, second)]
            # Both readers are in the middle of their first claims: 4 pages each, all waiting.
            await eventually(lambda: len(server.requests) == 2 * CONCURRENT_READS)
            holders = await column(
                repositories.database,
                "SELECT reading_by FROM articles WHERE reading_by IS NOT NULL",
            )
            release.set()
            await asyncio.gather(*draining)

    paths = [request.path for request in server.requests]
    assert sorted(holders) == ["reader-a"] * 4 + ["reader-b"] * 4
    assert sorted(paths) == sorted(f"/page/{n}" for n in range(12))  # each read once
    assert set(server.max_in_flight.values()) == {1}
    assert first.stored + second.stored == 12
    attempts = await column(
        repositories.database, "SELECT read_attempts FROM articles WHERE read_at IS NOT NULL"
        " AND enriched_at IS NULL AND reading_by IS NULL"
    )
    assert attempts == [1] * len(ids)


async def test_a_reader_killed_mid_read_leaves_the_article_to_another_after_its_lease(
    database_target: str, repositories: Repositories, pool: WorkerPool, tmp_path: Path
) -> None:
    answer = asyncio.Event()

    async def page_once_answered(_request: web.Request) -> web.StreamResponse:
        await answer.wait()
        return web.Response(body=page(1), content_type="text/html")

    async with serve_routes({"/page/1": page_once_answered}) as server:
        feed_id = await subscribe(repositories, "https://feeds.example/a", 1001)
        [article_id] = await queue(repositories, feed_id, [server.url("/page/1")])
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--role", "reader", cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            env={
                **os.environ, "PYTHONPATH": str(ROOT), "NEWSDESK_DB": database_target,
                "NEWSDESK_READING_LEASE": "3", "NEWSDESK_ALLOW_PRIVATE_ADDRESSES": "1",
                "NEWSDESK_READ_WORKERS": "1",
            },
        )
        try:
            await eventually(lambda: server.count("/page/1") == 1, timeout=60,
                             message="the reader process never fetched the page")
            [(holder, attempts)] = await repositories.database.fetch_all(
                "SELECT reading_by, read_attempts FROM articles WHERE id = ?", (article_id,)
            )
        finally:
            child.send_signal(signal.SIGKILL)
            await child.wait()
        answer.set()
        async with reader_over(database_target, pool, "reader-b") as survivor:
            await eventually(survivor.read_unread, message="the lease never ran out")

    assert child.returncode == -signal.SIGKILL
    assert holder is not None and attempts == 1
    assert server.count("/page/1") == 2
    [(read_at, attempts_after, held_by)] = await repositories.database.fetch_all(
        "SELECT read_at, read_attempts, reading_by FROM articles WHERE id = ?", (article_id,)
    )
    assert read_at is not None and held_by is None
    assert attempts_after == 2  # the killed attempt counts, as in one process


@dataclass
class RoleRun:
    """A role served in a task of its own, with its own database pool and hints."""

    context: RoleContext
    task: asyncio.Task[None] | None = None
    stopped: list[str] = field(default_factory=list)

    async def stop(self) -> None:
        self.context.stop.set()
        if self.task is not None:
            await self.task
        await self.context.wakeups.close()
        await self.context.database.close()


async def start_role(
    address: str, role: str, serve: Callable[[RoleContext], Coroutine[Any, Any, None]],
    settings: Settings,
) -> RoleRun:
    database = await Database.open(address)
    context = RoleContext(role, settings, database, Repositories.over(database), Wakeups(database))
    run = RoleRun(context)
    run.task = asyncio.create_task(serve(context))
    return run


async def test_readers_and_the_desk_hand_work_on_through_hints(
    database_target: str, repositories: Repositories,
) -> None:
    settings = Settings(
        database_url=database_target, allow_private_addresses=True, read_workers=1,
        scheduler_tick_seconds=3600.0,
    )
    posts_ready = asyncio.Event()
    listener = Wakeups(repositories.database)
    listener.listen(Topic.POSTS_READY, posts_ready.set)
    await listener.start()
    runs: list[RoleRun] = []
    try:
        async with serve_routes(
            {f"/page/{n}": (200, {"Content-Type": "text/html"}, page(n)) for n in range(3)}
        ) as server:
            first_feed = await subscribe(repositories, "https://feeds.example/a", 1001)
            second_feed = await subscribe(repositories, "https://feeds.example/b", 1002)
            runs.append(await start_role(
                database_target, "desk",
                lambda context: desk_role.serve(context, timings=HINTS_ONLY), settings,
            ))
            await eventually(lambda: _leading(repositories.database), message="no desk leads")
            runs.append(await start_role(
                database_target, "reader",
                lambda context: reader_role.serve(context, timings=HINTS_ONLY), settings,
            ))
            # Everyone listening (each listener wakes its own once as it connects): from now
            # on only hints wake anyone.
            await eventually(lambda: _listening(repositories.database, 3))
            posts_ready.clear()
            await queue(repositories, first_feed, [server.url(f"/page/{n}") for n in range(3)])
            await queue(repositories, second_feed, [server.url("/page/1")])
            await runs[1].context.wakeups.hint(Topic.ARTICLES_QUEUED)  # as a poller does

            async def all_pending() -> bool:
                states = await column(repositories.database, "SELECT state FROM outbox")
                return states == ["pending"] * 4

            await eventually(all_pending, timeout=60, message="the posts were never released")
            await eventually(posts_ready.is_set, message="the deliverer was never hinted")
    finally:
        for run in reversed(runs):
            await run.stop()
        await listener.close()

    stories = await column(
        repositories.database, "SELECT story_id FROM articles ORDER BY feed_id, id"
    )
    # The second feed's article is the first feed's page 1 again: the same story.
    assert len(set(stories)) == 3 and stories[3] == stories[1]


async def _leading(database: Database) -> bool:
    rows = await database.fetch_all(
        "SELECT 1 FROM leader_leases WHERE name = 'desk' AND expires_at > 0"
    )
    return bool(rows)


async def _listening(database: Database, connections: int) -> bool:
    rows = await database.fetch_all(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND query LIKE 'LISTEN %'"
    )
    return int(rows[0][0]) >= connections


def stored_reading(story: int) -> ArticleReading:
    text = story_text(story)
    return ArticleReading(
        title=f"Story {story}", summary="Read.", author=None, published_at=NOW,
        image_url=None, original_url=None, original_url_key=None, original_publisher=None,
        fingerprint=fingerprint(text).to_bytes(), details=ArticleDetails(), text=text,
    )


async def read_for_the_desk(repositories: Repositories, stories: dict[int, int]) -> None:
    """Play a reader: store for each article (id -> story) the reading of its story."""
    claimed = await repositories.stories.claim_unread(len(stories), "reader", 600.0)
    assert sorted(unread.article.id for unread in claimed) == sorted(stories)
    for article_id, story in stories.items():
        assert await repositories.stories.store_reading(
            article_id, stored_reading(story), "reader", NOW
        )


def decided(database: Database, ids: list[int]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        among = ", ".join(str(article_id) for article_id in ids)
        undecided = await column(
            database, f"SELECT id FROM articles WHERE id IN ({among}) AND story_id IS NULL"
        )
        return not undecided

    return check


async def test_a_standby_desk_takes_over_from_a_killed_leader_and_decides_each_article_once(
    database_target: str, repositories: Repositories, tmp_path: Path
) -> None:
    database = repositories.database
    first_feed = await subscribe(repositories, "https://feeds.example/a", 1001)
    second_feed = await subscribe(repositories, "https://feeds.example/b", 1002)
    first_ids = await queue(repositories, first_feed, [f"https://a.example/{n}" for n in range(5)])
    hints = Wakeups(database)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", "desk", cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NEWSDESK_DB": database_target},
    )
    standby: RoleRun | None = None
    try:
        await eventually(lambda: _leading(database), timeout=60, message="no desk leads")
        await eventually(lambda: _listening(database, 1), timeout=60)
        await read_for_the_desk(repositories, dict(zip(first_ids, range(5), strict=True)))
        await hints.hint(Topic.ARTICLES_READ)
        await eventually(decided(database, first_ids), timeout=60,
                         message="the leading desk process decided nothing")
        [child_epoch] = await column(database, "SELECT epoch FROM leader_leases")
        standby = await start_role(
            database_target, "desk",
            lambda context: desk_role.serve(
                context, timings=TIMINGS,
                leadership=Leadership(
                    context.database, "desk", lease_seconds=LEASE_SECONDS,
                    renew_seconds=0.25, safety_seconds=0.5,
                ),
            ),
            Settings(database_url=database_target, scheduler_tick_seconds=3600.0),
        )
        child.send_signal(signal.SIGKILL)
        await child.wait()
        # Copies of the five stories the killed leader decided, and one new story.
        second_ids = await queue(
            repositories, second_feed, [f"https://b.example/{n}" for n in range(6)]
        )
        await read_for_the_desk(repositories, dict(zip(second_ids, range(6), strict=True)))
        await eventually(decided(database, second_ids), timeout=60,
                         message="the standby never carried on")
        [standby_epoch] = await column(database, "SELECT epoch FROM leader_leases")
        # The killed leader, had it lived on unaware: its next decision is refused.
        [late] = await queue(repositories, first_feed, ["https://a.example/late"])
        await read_for_the_desk(repositories, {late: 6})
        await standby.stop()
        stale = StoryDesk(repositories, lambda: datetime.now(UTC), timings=TIMINGS)
        with pytest.raises(LeadershipLost):
            await stale.run_forever(Fence("desk", int(child_epoch)))
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGKILL)
            await child.wait()
        if standby is not None and not standby.context.stop.is_set():
            await standby.stop()

    assert child.returncode == -signal.SIGKILL
    assert standby_epoch == int(child_epoch) + 1
    stories = {
        int(row[0]): row[1] for row in await database.fetch_all(
            "SELECT id, story_id FROM articles WHERE story_id IS NOT NULL"
        )
    }
    assert len(stories) == 11  # the late one was not decided
    assert [stories[b] for b in second_ids[:5]] == [stories[a] for a in first_ids]
    assert len(set(stories.values())) == 6
    states = await column(database, "SELECT state FROM outbox ORDER BY id")
    assert states == ["pending"] * 11 + ["waiting"]
    assert [
        unread.article.id for unread in
        [awaiting.unread for awaiting in await repositories.stories.awaiting_desk(10)]
    ] == [late]
