"""When a row's first send that may have reached Discord began (``Delivery.send_began_at``):
kept across a crash and a retried failure, never set by giving back rows never attempted."""

from __future__ import annotations

from datetime import timedelta

from storage import Repositories
from tests.storage.test_repositories import (
    CHANNEL_A,
    GUILD_A,
    NOW,
    article,
    check,
    read_everything,
    snapshot,
)

LATER = NOW + timedelta(minutes=10)


async def queue_rows(repositories: Repositories, count: int) -> list[int]:
    subscribed = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed"),
        created_by=1, now=NOW, max_feeds=10,
    )
    created = await repositories.articles.ingest(
        subscribed.subscription.feed_id, [article(str(n), n) for n in range(count)], check(), NOW
    )
    await read_everything(repositories)
    return created


async def test_a_crash_keeps_when_the_send_began_and_later_claims_keep_the_first(
    repositories: Repositories,
) -> None:
    (row,) = await queue_rows(repositories, 1)
    (first,) = await repositories.outbox.claim(NOW, 10)
    assert first.send_began_at is None  # nothing was sent before
    await repositories.outbox.release_interrupted()
    (second,) = await repositories.outbox.claim(LATER, 10)
    assert (second.outbox_id, second.send_began_at) == (row, NOW)
    await repositories.outbox.mark_retry(row, "Discord answered 503.", LATER)
    (third,) = await repositories.outbox.claim(LATER + timedelta(minutes=1), 10)
    assert third.send_began_at == NOW  # the earliest attempt bounds where to look


async def test_a_retried_failure_keeps_it_and_rows_given_back_unsent_do_not(
    repositories: Repositories,
) -> None:
    failed, untouched, cut_short = await queue_rows(repositories, 3)
    outbox = repositories.outbox
    # A channel's rows are claimed one at a time: each is recorded before the next is taken.
    assert [d.outbox_id for d in await outbox.claim(NOW, 10)] == [failed]
    await outbox.mark_retry(failed, "could not reach Discord.", NOW)
    (retried,) = await outbox.claim(LATER, 10)
    await outbox.mark_sent(failed, 1, LATER)
    assert [d.outbox_id for d in await outbox.claim(LATER, 10)] == [untouched]
    await outbox.release([untouched])  # never attempted
    (given_back,) = await outbox.claim(LATER, 10)
    await outbox.mark_sent(untouched, 2, LATER)
    assert [d.outbox_id for d in await outbox.claim(LATER, 10)] == [cut_short]
    await outbox.release([cut_short], maybe_sent=True)  # a fault mid-send
    (cut,) = await outbox.claim(LATER, 10)
    assert [(d.outbox_id, d.send_began_at) for d in (retried, given_back, cut)] == [
        (failed, NOW), (untouched, None), (cut_short, LATER)
    ]
