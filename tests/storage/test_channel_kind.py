"""The kind of channel a subscription posts to, recorded when it is made, reaches the
deliverer with each claimed row (``Delivery.channel_kind``); rows of subscriptions made before
kinds were recorded carry None, and subscribing again records it."""

from __future__ import annotations

from bot.core.models import FORUM_CHANNEL, TEXT_CHANNEL
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

FEED = "https://news.example/feed"
FORUM_CHANNEL_ID, OLD_CHANNEL_ID = CHANNEL_A + 1, CHANNEL_A + 2


async def kinds_claimed(repositories: Repositories, feed_id: int) -> dict[int, str | None]:
    await repositories.articles.ingest(feed_id, [article("1", 1)], check(), NOW)
    await read_everything(repositories)
    return {d.channel_id: d.channel_kind for d in await repositories.outbox.claim(NOW, 10)}


async def test_each_claimed_row_carries_the_kind_recorded_at_subscribing(
    repositories: Repositories,
) -> None:
    subscribe = repositories.subscriptions.subscribe
    text = await subscribe(GUILD_A, CHANNEL_A, snapshot(FEED), created_by=1, now=NOW,
                           max_feeds=10, channel_kind=TEXT_CHANNEL)
    await subscribe(GUILD_A, FORUM_CHANNEL_ID, snapshot(FEED), created_by=1, now=NOW,
                    max_feeds=10, channel_kind=FORUM_CHANNEL)
    await subscribe(GUILD_A, OLD_CHANNEL_ID, snapshot(FEED), created_by=1, now=NOW, max_feeds=10)

    assert await kinds_claimed(repositories, text.subscription.feed_id) == {
        CHANNEL_A: TEXT_CHANNEL, FORUM_CHANNEL_ID: FORUM_CHANNEL, OLD_CHANNEL_ID: None,
    }


async def test_subscribing_again_records_the_kind_of_an_old_subscription(
    repositories: Repositories,
) -> None:
    subscribe = repositories.subscriptions.subscribe
    old = await subscribe(GUILD_A, CHANNEL_A, snapshot(FEED), created_by=1, now=NOW, max_feeds=10)
    again = await subscribe(GUILD_A, CHANNEL_A, snapshot(FEED), created_by=1, now=NOW,
                            max_feeds=10, channel_kind=TEXT_CHANNEL)

    assert again.already_existed
    assert await kinds_claimed(repositories, old.subscription.feed_id) == {
        CHANNEL_A: TEXT_CHANNEL
    }
