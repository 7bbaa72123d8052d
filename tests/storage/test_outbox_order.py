"""A channel's posts in order across claimers: one row of a channel in flight at a time,
claimed oldest first, and the database refusing a second one (``outbox_one_sending_per_channel``).
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import pytest

from storage import Database, Repositories
from storage.database import is_unique_violation
from storage.outbox import ChannelOrderViolation
from tests.fixtures.engines import on_postgres
from tests.storage.test_repositories import (
    CHANNEL_A,
    CHANNEL_A2,
    GUILD_A,
    NOW,
    article,
    check,
    read_everything,
    snapshot,
)


async def queue(repositories: Repositories, channels: list[int], per_channel: int) -> list[int]:
    """Subscribe ``channels`` to one feed and queue ``per_channel`` ready rows in each."""
    url = "https://news.example/feed"
    feed_id = 0
    for channel in channels:
        subscribed = await repositories.subscriptions.subscribe(
            GUILD_A, channel, snapshot(url), created_by=1, now=NOW, max_feeds=10
        )
        feed_id = subscribed.subscription.feed_id
    created = await repositories.articles.ingest(
        feed_id, [article(str(n), n) for n in range(per_channel)], check(), NOW
    )
    await read_everything(repositories)
    return created


async def test_a_claim_takes_each_channels_oldest_row_and_the_next_waits_for_it(
    repositories: Repositories,
) -> None:
    created = await queue(repositories, [CHANNEL_A, CHANNEL_A2], 3)
    outbox = repositories.outbox
    first = await outbox.claim(NOW, 10)
    assert [(d.channel_id, d.outbox_id) for d in first] == [
        (CHANNEL_A, created[0]), (CHANNEL_A2, created[1])
    ]
    assert await outbox.claim(NOW, 10) == []  # both channels have a row in flight
    assert await outbox.claim_channel(CHANNEL_A, NOW) is None
    await outbox.mark_sent(created[0], 1, NOW)
    following = await outbox.claim_channel(CHANNEL_A, NOW)
    assert following is not None and following.outbox_id == created[2]
    assert await outbox.claim_channel(CHANNEL_A2, NOW) is None  # still sending its first


async def test_a_row_put_back_for_a_retry_holds_its_channel(
    repositories: Repositories,
) -> None:
    created = await queue(repositories, [CHANNEL_A], 2)
    outbox = repositories.outbox
    (first,) = await outbox.claim(NOW, 10)
    await outbox.mark_retry(first.outbox_id, "Discord answered 503.", NOW.replace(hour=13))
    assert await outbox.claim(NOW, 10) == []
    assert await outbox.claim_channel(CHANNEL_A, NOW) is None
    (again,) = await outbox.claim(NOW.replace(hour=13), 10)
    assert again.outbox_id == created[0]


async def test_the_database_refuses_a_second_row_of_a_channel_in_flight(
    repositories: Repositories, database: Database,
) -> None:
    created = await queue(repositories, [CHANNEL_A], 2)
    await repositories.outbox.claim(NOW, 10)
    with pytest.raises(Exception) as refused:  # each engine's own error
        async with database.transaction() as tx:
            await tx.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (created[1],))
    assert is_unique_violation(refused.value)


async def test_rows_of_a_stopped_run_left_in_flight_go_back_before_the_rule_holds(
    repositories: Repositories,
) -> None:
    created = await queue(repositories, [CHANNEL_A], 3)
    await repositories.outbox.claim(NOW, 10)
    assert await repositories.outbox.release_interrupted() == 1
    (first,) = await repositories.outbox.claim(NOW, 10)
    assert (first.outbox_id, first.attempts) == (created[0], 1)


async def until_a_lock_is_awaited(database: Database) -> None:
    """Return once some transaction waits for a lock (PostgreSQL)."""
    waiting = 0
    while not waiting:
        await asyncio.sleep(0.01)
        row = await database.fetch_one("SELECT count(*) FROM pg_locks WHERE NOT granted")
        waiting = int(row[0]) if row is not None else 0


@on_postgres
async def test_a_claim_that_would_put_a_second_row_in_flight_fails_loudly(
    repositories: Repositories, database: Database, caplog: pytest.LogCaptureFixture,
) -> None:
    # A writer outside the rule (a bug, a stale process) puts the channel's later row in
    # flight; a claim running beside it sees only the earlier row, pending, and takes it.
    created = await queue(repositories, [CHANNEL_A], 2)
    stray_wrote = asyncio.Event()
    let_it_commit = asyncio.Event()

    async def stray_writer() -> None:
        async with database.transaction() as tx:
            await tx.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (created[1],))
            stray_wrote.set()
            await let_it_commit.wait()

    stray = asyncio.create_task(stray_writer())
    await stray_wrote.wait()
    claim = asyncio.create_task(repositories.outbox.claim(NOW, 10))
    await until_a_lock_is_awaited(database)  # the claim, on the stray row's index entry
    let_it_commit.set()
    await stray
    with pytest.raises(ChannelOrderViolation):
        await claim
    assert "outbox order rule refused a claim" in caplog.text
    status = await repositories.outbox.status(created[0])
    assert status is not None and status.state.value == "pending"


@on_postgres
async def test_claimers_side_by_side_keep_every_channel_in_order(
    repositories: Repositories,
) -> None:
    channels = [CHANNEL_A + number for number in range(6)]
    created = set(await queue(repositories, channels, 8))
    outbox = repositories.outbox
    sent: dict[int, list[int]] = defaultdict(list)
    rng = random.Random(3)

    async def claimer() -> None:
        idle = 0
        while idle < 20:
            claimed = await outbox.claim(NOW, 3)
            idle = 0 if claimed else idle + 1
            for delivery in claimed:
                current = delivery
                while current is not None:
                    await asyncio.sleep(rng.random() / 500)
                    sent[current.channel_id].append(current.outbox_id)
                    await outbox.mark_sent(current.outbox_id, current.outbox_id, NOW)
                    if rng.random() < 0.5:
                        break  # leave the channel's next row to any claimer
                    found = await outbox.claim_channel(current.channel_id, NOW)
                    if found is None:
                        break
                    current = found
            await asyncio.sleep(0)

    await asyncio.gather(*(claimer() for _ in range(4)))
    assert sorted(row for rows in sent.values() for row in rows) == sorted(created)
    assert all(rows == sorted(rows) for rows in sent.values())
