"""Claiming due feeds: a claimed feed is nobody else's until its lease runs out or its check is
recorded; on PostgreSQL pollers claiming at once never take the same feed and keep to their
host buckets; on SQLite (role all) overlapping rounds check each due feed once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from bot.app.services import Services
from bot.app.settings import Settings
from bot.pipeline.poll.poller import CONCURRENT_FEEDS
from storage import Database, Repositories
from tests.fixtures.due_feeds import follow, one_item_rss
from tests.fixtures.engines import on_both_engines, on_postgres
from tests.fixtures.http_servers import Route, RouteSpec, serve_routes
from tests.waiting import eventually

LONG_LEASE = 600.0


@on_both_engines
async def test_a_claimed_feed_is_nobody_elses_until_its_lease_runs_out_or_its_check_is_recorded(
    repositories: Repositories,
) -> None:
    now = datetime.now(UTC)
    first, second, later = await follow(
        repositories, ["https://a.example/1", "https://a.example/2", "https://a.example/3"],
        now - timedelta(minutes=1),
    )
    feeds = repositories.feeds
    claimed = await feeds.claim_due(now, 10, LONG_LEASE)
    assert sorted(claim.feed.id for claim in claimed) == [first, second, later]
    assert await feeds.claim_due(now, 10, LONG_LEASE) == []  # held: no second claim

    # A recorded check clears the claim and moves the next check: not due again.
    await feeds.record_unchanged(
        first, now=now, next_check_at=now + timedelta(minutes=10), etag=None, last_modified=None
    )
    # A claim given back is due again at once; one that ran out (lease 0) too.
    await feeds.release_claims([claim for claim in claimed if claim.feed.id == second])
    assert [claim.feed.id for claim in await feeds.claim_due(now, 10, 0.0)] == [second]
    assert [claim.feed.id for claim in await feeds.claim_due(now, 10, LONG_LEASE)] == [second]
    # Giving back a claim that ran out and was taken by another leaves the other's alone.
    await feeds.release_claims([claim for claim in claimed if claim.feed.id == second])
    assert await feeds.claim_due(now, 10, LONG_LEASE) == []
    stored = await feeds.get(first)
    assert stored is not None and stored.next_check_at > now


async def test_overlapping_rounds_check_each_due_feed_once_on_sqlite(
    services: Services, repositories: Repositories
) -> None:
    paths = [f"/feed/{n}.xml" for n in range(30)]
    async with serve_routes({path: Route(200, {}, one_item_rss(path), delay_seconds=0.05)
                             for path in paths}) as server:
        now = datetime.now(UTC)
        await follow(repositories, [server.url(path) for path in paths], now - timedelta(1))
        reports = await asyncio.gather(*(services.poller.poll_due() for _ in range(3)))
    assert sum(report.feeds_checked for report in reports) == 30
    assert all(server.count(path) == 1 for path in paths)
    assert sum(len(report.outbox_ids) for report in reports) == 30


async def test_a_cancelled_round_gives_its_unchecked_feeds_back_at_once(
    services: Services, repositories: Repositories
) -> None:
    release = asyncio.Event()

    async def hanging(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(status=500)

    async with serve_routes({"/hangs.xml": hanging}) as server:
        now = datetime.now(UTC)
        [feed_id] = await follow(repositories, [server.url("/hangs.xml")], now - timedelta(1))
        round_ = asyncio.create_task(services.poller.poll_due())
        await eventually(lambda: server.count("/hangs.xml") == 1)
        assert await repositories.feeds.claim_due(now, 10, LONG_LEASE) == []  # claimed
        round_.cancel()
        with pytest.raises(asyncio.CancelledError):
            await round_
        release.set()
    [again] = await repositories.feeds.claim_due(now, 10, LONG_LEASE)
    assert again.feed.id == feed_id


# -- PostgreSQL: pollers in several processes -----------------------------------------------


@on_postgres
async def test_two_pollers_claiming_at_once_never_take_the_same_feed(
    repositories: Repositories, second_process: Database
) -> None:
    now = datetime.now(UTC)
    ids = await follow(
        repositories, [f"https://host{n % 7}.example/{n}" for n in range(400)],
        now - timedelta(minutes=1),
    )
    pollers = [repositories.feeds, Repositories.over(second_process).feeds]

    async def claim_all(poller_index: int) -> list[int]:
        taken: list[int] = []
        while batch := await pollers[poller_index].claim_due(now, 7, LONG_LEASE):
            taken.extend(claim.feed.id for claim in batch)
        return taken

    results = await asyncio.gather(*(claim_all(n % 2) for n in range(6)))
    everything = [feed_id for taken in results for feed_id in taken]
    assert sorted(everything) == sorted(ids)  # each claimed, none twice
    assert all(results)  # every claimer got some: they ran side by side


@on_postgres
async def test_a_poller_claims_only_feeds_of_the_host_buckets_it_holds(
    repositories: Repositories, database: Database
) -> None:
    now = datetime.now(UTC)
    urls = {
        "news": [
            "https://News.example/a", "http://news.example:8080/b",
            "https://reader:secret@news.example/c", "https://news.example./d",
        ],
        "blog": ["https://blog.example/feed"],
    }
    await follow(repositories, urls["news"] + urls["blog"], now - timedelta(minutes=1))
    rows = await database.fetch_all("SELECT url, host_bucket FROM feeds")
    bucket = {row["url"]: int(row["host_bucket"]) for row in rows}
    assert {bucket[url] for url in urls["news"]} == {bucket[urls["news"][0]]}  # one host
    news, blog = bucket[urls["news"][0]], bucket[urls["blog"][0]]
    assert news != blog and all(0 <= value < 256 for value in bucket.values())

    claimed = await repositories.feeds.claim_due(now, 10, LONG_LEASE, [blog])
    assert [claim.feed.url for claim in claimed] == urls["blog"]
    assert [claim.host_bucket for claim in claimed] == [blog]
    assert await repositories.feeds.claim_due(now, 10, LONG_LEASE, []) == []
    claimed = await repositories.feeds.claim_due(now, 10, LONG_LEASE, [news, blog])
    assert sorted(claim.feed.url for claim in claimed) == sorted(urls["news"])


async def test_a_host_whose_slots_are_all_held_keeps_no_worker_from_other_hosts(
    services: Services, repositories: Repositories
) -> None:
    """More of one host's feeds than workers, the first of them hanging: the other host's
    feeds, claimed after them, are checked meanwhile (handed to workers by free host)."""
    release = asyncio.Event()

    async def hangs(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(body=one_item_rss(request.path), content_type="application/rss+xml")

    slow_host = [f"/a/{n}.xml" for n in range(CONCURRENT_FEEDS + 5)]
    other_host = [f"/b/{n}.xml" for n in range(5)]
    routes: dict[str, RouteSpec] = {path: hangs for path in slow_host}
    routes |= {path: Route(200, {}, one_item_rss(path)) for path in other_host}
    async with serve_routes(routes) as server:
        now = datetime.now(UTC)
        port = server.origin[1]
        await follow(repositories, [server.url(path) for path in slow_host],
                     now - timedelta(minutes=2))  # claimed first: most overdue
        other_ids = await follow(
            repositories, [f"http://localhost:{port}{path}" for path in other_host],
            now - timedelta(minutes=1),
        )
        round_ = asyncio.create_task(services.poller.poll_due())
        try:

            async def other_host_checked() -> bool:
                feeds = [await repositories.feeds.get(feed_id) for feed_id in other_ids]
                return all(feed is not None and feed.last_checked_at for feed in feeds)

            await eventually(other_host_checked, timeout=30)
            assert not release.is_set() and not round_.done()
        finally:
            release.set()
        report = await round_
    assert report.feeds_checked == len(slow_host) + len(other_host)
    assert server.max_in_flight_overall <= Settings().per_host_limit + len(other_host)
