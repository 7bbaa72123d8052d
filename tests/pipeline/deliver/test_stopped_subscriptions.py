"""A subscription stopped (disabled, removed, its server gone) while a poll queues posts for
its feed: nothing is posted for it. On PostgreSQL the poll's transaction and the stop run at
once on two connections, and the stop's cancelling of the queue cannot see the row the poll
has not committed yet; the deliverer, finding the row's subscription stopped, records it
failed without posting it. It used to post it into the refusing channel and disable the
subscription a second time: a second notice to the admins."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from bot.pipeline.deliver.deliverer import Deliverer
from bot.pipeline.timings import PipelineTimings
from storage import Database, Repositories
from storage.articles import insert_articles_and_queue
from tests.fixtures.engines import on_both_engines
from tests.pipeline.deliver.senders import UnexpectedCalls
from tests.storage.test_repositories import (
    CHANNEL_A,
    GUILD_A,
    NOW,
    article,
    read_everything,
    snapshot,
)

Stop = Callable[[Repositories, int], Coroutine[Any, Any, None]]


async def _disable(repositories: Repositories, subscription_id: int) -> None:
    await repositories.subscriptions.disable(GUILD_A, subscription_id, "it lacks Send Messages")


async def _remove(repositories: Repositories, subscription_id: int) -> None:
    await repositories.subscriptions.remove(GUILD_A, subscription_id)


async def _disable_guild(repositories: Repositories, subscription_id: int) -> None:
    await repositories.subscriptions.disable_guild(GUILD_A, "the server removed Newsdesk")


@on_both_engines
@pytest.mark.parametrize("stop", [_disable, _remove, _disable_guild])
async def test_a_row_queued_beside_a_stop_is_never_posted(
    repositories: Repositories, database: Database, storage_engine: str, stop: Stop
) -> None:
    subscribed = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed"), created_by=1, now=NOW,
        max_feeds=10,
    )
    feed_id, subscription_id = subscribed.subscription.feed_id, subscribed.subscription.id
    async with database.transaction() as tx:  # a poll's ingest, not committed yet
        _, queued = await insert_articles_and_queue(tx, feed_id, [article("new", 1)], NOW)
        assert len(queued) == 1
        stopping = asyncio.create_task(stop(repositories, subscription_id))
        await asyncio.sleep(0.3)  # the stop runs (or, on SQLite, waits for the ingest)
    await asyncio.wait_for(stopping, 10)
    await read_everything(repositories)  # the desk releases what waits for its reading

    claimed = await repositories.outbox.claim(NOW, 10)
    if storage_engine == "postgres":  # the stop could not see the row: the deliverer must
        assert [delivery.stopped for delivery in claimed] == [True]
    deliverer = Deliverer(repositories, UnexpectedCalls(), lambda: NOW, timings=PipelineTimings())
    for delivery in claimed:
        await deliverer._deliver_channel(delivery)

    rows = await database.fetch_all("SELECT state FROM outbox WHERE channel_id = ?", (CHANNEL_A,))
    assert [row["state"] for row in rows] == ["failed"]
    assert await repositories.outbox.claim(NOW, 10) == []
    assert await repositories.notices.count_unfinished() == 0
