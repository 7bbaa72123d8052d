"""A subscription stopped (disabled, removed) while a poll queues posts for its feed: its
queue is cancelled after the poll's rows exist, never beside them, so nothing is left to post
for it. On PostgreSQL the poll's transaction and the stop run at once on two connections; a
row queued by a poll whose transaction began before the stop used to survive it, and the
deliverer then posted it and got a second refusal (a second notice to the admins)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from storage import Database, Repositories
from storage.articles import insert_articles_and_queue
from tests.storage.test_repositories import CHANNEL_A, GUILD_A, NOW, article, snapshot

URL = "https://news.example/feed"
Stop = Callable[[Repositories, int], Coroutine[Any, Any, None]]


async def _disable(repositories: Repositories, subscription_id: int) -> None:
    await repositories.subscriptions.disable(GUILD_A, subscription_id, "it lacks Send")


async def _remove(repositories: Repositories, subscription_id: int) -> None:
    await repositories.subscriptions.remove(GUILD_A, subscription_id)


async def _disable_guild(repositories: Repositories, subscription_id: int) -> None:
    await repositories.subscriptions.disable_guild(GUILD_A, "the server left")


@pytest.mark.parametrize("stop", [_disable, _remove, _disable_guild])
async def test_a_stop_beside_a_poll_queueing_for_the_feed_leaves_no_row_to_post(
    repositories: Repositories, database: Database, stop: Stop
) -> None:
    subscribed = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot(URL), created_by=1, now=NOW, max_feeds=10
    )
    feed_id, subscription_id = subscribed.subscription.feed_id, subscribed.subscription.id
    async with database.transaction() as tx:
        _, queued = await insert_articles_and_queue(
            tx, feed_id, [article("new", 1)], NOW, database.dialect
        )
        assert len(queued) == 1
        stopping = asyncio.create_task(stop(repositories, subscription_id))
        await asyncio.sleep(0.3)  # the stop runs (or waits) while the poll has not committed
    await asyncio.wait_for(stopping, 10)
    rows = await database.fetch_all(
        "SELECT state FROM outbox WHERE channel_id = ?", (CHANNEL_A,)
    )
    assert [row["state"] for row in rows] == ["failed"]
