"""Host buckets over PostgreSQL: spread evenly over the live pollers, freed only once none of
their feeds is being checked, taken over when a poller stops renewing or leaves."""

from __future__ import annotations

import math
from pathlib import Path

from bot.pipeline.poll.host_buckets import HostBuckets
from storage import Database
from storage.poll_buckets import HOST_BUCKETS, PollBucketRepository
from tests.fixtures.engines import on_postgres
from tests.waiting import eventually

pytestmark = on_postgres

SHORT_LEASE = 1.0
LONG_LEASE = 600.0


async def poller(database: Database, name: str, lease: float = LONG_LEASE) -> HostBuckets:
    return HostBuckets(PollBucketRepository(database), name, lease)


def assert_partition(*pollers: HostBuckets) -> None:
    held = [set(one.held) for one in pollers]
    assert sum(len(one) for one in held) == HOST_BUCKETS
    assert set().union(*held) == set(range(HOST_BUCKETS))  # every bucket, each once


async def test_buckets_spread_evenly_over_the_live_pollers(database: Database) -> None:
    first = await poller(database, "first")
    await first.rebalance()
    assert first.claimable() == list(range(HOST_BUCKETS))

    second = await poller(database, "second")
    await second.rebalance()  # joins: nothing free yet
    assert second.held == frozenset()
    await first.rebalance()  # sees two pollers: frees what is beyond its share
    await second.rebalance()
    assert len(first.held) == len(second.held) == HOST_BUCKETS // 2
    assert_partition(first, second)

    third = await poller(database, "third")
    for one in (third, first, second, third):
        await one.rebalance()
    share = math.ceil(HOST_BUCKETS / 3)
    assert len(first.held) == len(second.held) == share
    assert len(third.held) == HOST_BUCKETS - 2 * share
    assert_partition(first, second, third)
    holders = await PollBucketRepository(database).holders()
    assert {name: set(buckets) for name, buckets in holders.items()} == {
        "first": set(first.held), "second": set(second.held), "third": set(third.held),
    }


async def test_a_bucket_is_freed_only_once_its_feeds_are_checked(database: Database) -> None:
    first = await poller(database, "first")
    await first.rebalance()
    busy = HOST_BUCKETS - 1  # beyond the first half: to be freed when a second poller comes
    first.checking(busy)
    second = await poller(database, "second")
    await second.rebalance()
    await first.rebalance()
    assert busy in first.held and busy not in first.claimable()  # draining: no new claims
    await second.rebalance()
    assert busy not in second.held
    first.finished(busy)
    await first.rebalance()
    await second.rebalance()
    assert busy in second.held and busy not in first.held
    assert_partition(first, second)


async def test_a_poller_that_stops_renewing_has_its_buckets_taken_over(
    database: Database, database_target: Path | str
) -> None:
    other_process = await Database.open(database_target)
    try:
        dying = await poller(other_process, "dying", SHORT_LEASE)
        await dying.rebalance()
        survivor = await poller(database, "survivor", SHORT_LEASE)
        await survivor.rebalance()
        assert survivor.held == frozenset()  # the dying one still holds everything
        # "dying" renews no more (as after a kill -9): once its leases and its announcement
        # run out the survivor takes every bucket.

        async def taken_over() -> bool:
            await survivor.rebalance()
            return len(survivor.held) == HOST_BUCKETS

        await eventually(taken_over, timeout=30)
        assert await PollBucketRepository(database).holders() == {
            "survivor": list(range(HOST_BUCKETS))
        }
        live = await PollBucketRepository(database).announce("survivor", SHORT_LEASE)
        assert live == 1  # the dying poller's announcement was forgotten
    finally:
        await other_process.close()


async def test_a_poller_leaving_frees_its_buckets_at_once(database: Database) -> None:
    first = await poller(database, "first")
    second = await poller(database, "second")
    for one in (first, second, first, second):
        await one.rebalance()
    assert len(second.held) == HOST_BUCKETS // 2
    await second.leave()
    await first.rebalance()
    assert len(first.held) == HOST_BUCKETS
    assert await PollBucketRepository(database).holders() == {"first": list(range(HOST_BUCKETS))}
