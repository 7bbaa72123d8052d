"""The poller role over PostgreSQL: pollers split the hosts and check each due feed once,
hint the readers, give everything back on stop, and take over a killed poller's feeds once
its leases run out."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.app.roles import RoleContext
from bot.app.roles.hints import HintSender
from bot.app.roles.poller_role import HINT_WINDOW, serve
from storage import Database, Repositories
from storage.poll_buckets import HOST_BUCKETS, PollBucketRepository
from storage.wakeups import Topic, Wakeups
from tests.app.poller_child import settings_for
from tests.fixtures.due_feeds import follow, one_item_rss
from tests.fixtures.engines import on_postgres
from tests.fixtures.http_servers import Route, RouteServer, serve_routes
from tests.waiting import eventually

pytestmark = on_postgres

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2.0


@asynccontextmanager
async def poller_role(address: str, contact: str) -> AsyncIterator[RoleContext]:
    """Run the poller role in a task (its own pool, as a process of its own would have)."""
    database = await Database.open(address)
    wakeups = Wakeups(database)
    context = RoleContext(
        "poller", settings_for(address, LEASE_SECONDS, contact), database,
        Repositories.over(database), wakeups,
    )
    task = asyncio.create_task(serve(context))
    try:
        yield context
    finally:
        context.stop.set()
        await task
        await wakeups.close()
        await database.close()


@asynccontextmanager
async def listening(database: Database, topic: Topic) -> AsyncIterator[list[int]]:
    """Count the hints of ``topic`` heard from here (the first count is the connect wake)."""
    heard = [0]
    wakeups = Wakeups(database)
    wakeups.listen(topic, lambda: heard.__setitem__(0, heard[0] + 1))
    await wakeups.start()
    try:
        await eventually(lambda: heard[0] >= 1)  # listening: the connect wake came
        yield heard
    finally:
        await wakeups.close()


def who_fetched(server: RouteServer, paths: list[str]) -> Counter[tuple[str, str]]:
    """Count the requests to ``paths`` by (host, the poller named in the User-Agent)."""
    return Counter(
        (request.headers["Host"].split(":")[0],
         request.headers["User-Agent"].rsplit("; ", 1)[-1].rstrip(")"))
        for path in paths for request in server.requests_to(path)
    )


async def test_two_pollers_split_the_hosts_check_each_feed_once_and_give_all_back_on_stop(
    database_target: str, database: Database, repositories: Repositories
) -> None:
    paths = [f"/feeds/{n}.xml" for n in range(24)]
    async with serve_routes({path: Route(200, {}, one_item_rss(path)) for path in paths}) as (
        server
    ), listening(database, Topic.ARTICLES_QUEUED) as hints:
        buckets = PollBucketRepository(database)
        async with poller_role(database_target, "poller-a"), poller_role(
            database_target, "poller-b"
        ):
            async def balanced() -> bool:
                held = await buckets.holders()
                return sorted(len(one) for one in held.values()) == [128, 128]

            await eventually(balanced, timeout=30)
            port = server.origin[1]
            # Two hosts (127.0.0.1 and localhost hash into different halves of the buckets).
            urls = [
                f"http://{'localhost' if n % 2 else '127.0.0.1'}:{port}{path}"
                for n, path in enumerate(paths)
            ]
            heard_before = hints[0]
            await follow(repositories, urls, datetime.now(UTC) - timedelta(minutes=1))
            await Wakeups(database).hint(Topic.FEEDS_CHANGED)  # as /feed add does

            async def all_checked() -> bool:
                row = await database.fetch_one(
                    "SELECT COUNT(*) FROM feeds WHERE last_checked_at IS NOT NULL"
                )
                return row is not None and int(row[0]) == len(paths)

            await eventually(all_checked, timeout=30)
            await eventually(lambda: hints[0] > heard_before)  # the readers were told
        fetched = who_fetched(server, paths)
        outbox = await database.fetch_one("SELECT COUNT(*) FROM outbox")
        left = await database.fetch_one(
            "SELECT COUNT(*) FROM feeds WHERE claimed_until IS NOT NULL"
        )
        assert await buckets.holders() == {}  # both stopped: every bucket free
        pollers = await database.fetch_one("SELECT COUNT(*) FROM pollers")

    assert all(server.count(path) == 1 for path in paths)  # each feed fetched once
    # Each host by one poller, and each poller had a host.
    assert sorted(fetched.values()) == [12, 12]
    assert {host for host, _ in fetched} == {"127.0.0.1", "localhost"}
    assert {poller for _, poller in fetched} == {"poller-a", "poller-b"}
    assert outbox is not None and int(outbox[0]) == len(paths)
    assert left is not None and int(left[0]) == 0
    assert pollers is not None and int(pollers[0]) == 0


async def test_a_killed_pollers_feeds_are_checked_by_another_once_its_leases_run_out(
    database_target: str, database: Database, repositories: Repositories
) -> None:
    paths = [f"/feeds/{n}.xml" for n in range(3)]
    answer = asyncio.Event()

    def route(path: str) -> object:
        async def hangs_until_answered(_request: web.Request) -> web.StreamResponse:
            await answer.wait()
            return web.Response(body=one_item_rss(path), content_type="application/rss+xml")

        return hangs_until_answered

    async with serve_routes({path: route(path) for path in paths}) as server:  # type: ignore[misc]
        await follow(
            repositories, [server.url(path) for path in paths],
            datetime.now(UTC) - timedelta(minutes=1),
        )
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.app.poller_child", database_target,
            str(LEASE_SECONDS), "doomed", cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            # Its checks are under way (two at a time: the per-host limit), all three claimed.
            await eventually(lambda: len(server.requests) >= 2, timeout=60)
            claimed = await database.fetch_one(
                "SELECT COUNT(*) FROM feeds WHERE claimed_until IS NOT NULL"
            )
            assert claimed is not None and int(claimed[0]) == len(paths)
        finally:
            child.send_signal(signal.SIGKILL)
            await child.wait()
        answer.set()
        async with poller_role(database_target, "survivor"):

            async def all_checked() -> bool:
                row = await database.fetch_one(
                    "SELECT COUNT(*) FROM feeds WHERE last_checked_at IS NOT NULL"
                    " AND claimed_until IS NULL"
                )
                return row is not None and int(row[0]) == len(paths)

            await eventually(all_checked, timeout=30)
            holders = await PollBucketRepository(database).holders()
        fetched = who_fetched(server, paths)

    assert child.returncode == -signal.SIGKILL
    assert [len(buckets) for buckets in holders.values()] == [HOST_BUCKETS]  # all taken over
    # The dead poller's checks were never recorded; the survivor checked each feed once.
    assert fetched[("127.0.0.1", "survivor")] == len(paths)
    errors = await database.fetch_one("SELECT SUM(error_count) FROM feeds")
    assert errors is not None and int(errors[0]) == 0
    outbox = await database.fetch_one("SELECT COUNT(*) FROM outbox")
    assert outbox is not None and int(outbox[0]) == len(paths)


async def test_many_checks_in_one_window_send_one_hint(database: Database) -> None:
    async with listening(database, Topic.ARTICLES_QUEUED) as heard:
        before = heard[0]
        hints = HintSender(Wakeups(database), window_seconds=HINT_WINDOW)
        for _ in range(50):
            hints.hint(Topic.ARTICLES_QUEUED)
        await hints.flush()
        await eventually(lambda: heard[0] == before + 1)
    assert hints.sent == {Topic.ARTICLES_QUEUED: 1}
