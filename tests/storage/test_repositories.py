"""Repositories on a real SQLite file: seeding, ingest, outbox, server isolation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import SubscriptionLimitReached
from bot.core.models import ArticleDetails, ArticleReading, FeedCheck, FeedSnapshot, NewArticle
from storage import Repositories

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GUILD_A, GUILD_B = 111, 222
CHANNEL_A, CHANNEL_A2, CHANNEL_B = 1001, 1002, 2001


def article(key: str, minutes: int = 0) -> NewArticle:
    return NewArticle(
        entry_key=f"guid:{key}", url=f"https://news.example/{key}", title=f"Title {key}",
        summary=f"Summary {key}.", author=None, image_url=None,
        published_at=NOW + timedelta(minutes=minutes),
    )


def snapshot(url: str, *keys: str) -> FeedSnapshot:
    return FeedSnapshot(
        url=url, title="Example News", site_url="https://news.example/", etag='"v1"',
        last_modified=None, body_sha256="abc", interval_seconds=600,
        next_check_at=NOW + timedelta(minutes=10), entries=[article(key) for key in keys],
    )


async def read_everything(repositories: Repositories) -> None:
    """Play the reader: record every unread article as its own story, releasing its posts."""
    for unread in await repositories.stories.unread(100):
        article_ = unread.article
        reading = ArticleReading(
            title=article_.title, summary=article_.summary, author=None,
            published_at=article_.published_at, image_url=None, original_url=None,
            original_url_key=None, original_publisher=None, fingerprint=None,
            details=ArticleDetails(),
        )
        await repositories.stories.record_reading(article_.id, reading, None, NOW)


def check() -> FeedCheck:
    return FeedCheck(
        title="Example News", site_url=None, etag='"v2"', last_modified=None,
        body_sha256="def", next_check_at=NOW + timedelta(minutes=10),
    )


async def test_subscribing_seeds_current_entries_without_queueing_them(
    repositories: Repositories,
) -> None:
    result = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed", "a", "b"),
        created_by=1, now=NOW, max_feeds=10,
    )
    assert not result.already_existed
    assert result.queued_outbox_ids == []
    assert await repositories.articles.count_for_feed(result.subscription.feed_id) == 2
    assert await repositories.outbox.claim(NOW, 10) == []


async def test_new_entries_are_queued_once_for_every_subscriber(
    repositories: Repositories,
) -> None:
    url = "https://news.example/feed"
    first = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot(url, "a"), created_by=1, now=NOW, max_feeds=10
    )
    await repositories.subscriptions.subscribe(
        GUILD_B, CHANNEL_B, snapshot(url, "a"), created_by=2, now=NOW, max_feeds=10
    )
    feed_id = first.subscription.feed_id
    created = await repositories.articles.ingest(
        feed_id, [article("a"), article("b", 1), article("c", 2)], check(), NOW
    )
    assert len(created) == 4  # b and c, for each of the two servers
    again = await repositories.articles.ingest(feed_id, [article("b"), article("c")], check(), NOW)
    assert again == []
    await read_everything(repositories)
    # One row per channel at a time, oldest first; the next once the first is recorded.
    claimed = await repositories.outbox.claim(NOW, 10)
    assert [(d.channel_id, d.article.entry_key) for d in claimed] == [
        (CHANNEL_A, "guid:b"), (CHANNEL_B, "guid:b"),
    ]
    for delivery in claimed:
        await repositories.outbox.mark_sent(delivery.outbox_id, delivery.outbox_id, NOW)
    claimed = await repositories.outbox.claim(NOW, 10)
    assert [(d.channel_id, d.article.entry_key) for d in claimed] == [
        (CHANNEL_A, "guid:c"), (CHANNEL_B, "guid:c"),
    ]
    feed = await repositories.feeds.get(feed_id)
    assert feed is not None and feed.etag == '"v2"' and feed.error_count == 0


async def test_recent_entry_keys_are_the_feeds_latest_stored_ones(
    repositories: Repositories,
) -> None:
    first = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed", "a"), created_by=1, now=NOW,
        max_feeds=10,
    )
    await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://other.example/feed", "x"), created_by=1, now=NOW,
        max_feeds=10,
    )
    feed_id = first.subscription.feed_id
    await repositories.articles.ingest(feed_id, [article("b"), article("c")], check(), NOW)
    articles = repositories.articles
    assert await articles.recent_entry_keys(feed_id, 10) == {"guid:a", "guid:b", "guid:c"}
    assert await articles.recent_entry_keys(feed_id, 2) == {"guid:b", "guid:c"}


async def test_a_second_channel_subscribing_later_is_not_sent_the_backlog(
    repositories: Repositories,
) -> None:
    url = "https://news.example/feed"
    first = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot(url, "a"), created_by=1, now=NOW, max_feeds=10
    )
    # The second subscription's fetch already shows "b": it is new for the first channel only.
    second = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A2, snapshot(url, "a", "b"), created_by=1, now=NOW, max_feeds=10
    )
    assert len(second.queued_outbox_ids) == 1
    await read_everything(repositories)
    claimed = await repositories.outbox.claim(NOW, 10)
    assert [(d.channel_id, d.subscription_id) for d in claimed] == [
        (CHANNEL_A, first.subscription.id)
    ]


async def test_subscribing_twice_reports_the_existing_subscription(
    repositories: Repositories,
) -> None:
    url = "https://news.example/feed"
    first = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot(url), created_by=1, now=NOW, max_feeds=10
    )
    again = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot(url), created_by=1, now=NOW, max_feeds=10
    )
    assert again.already_existed
    assert again.subscription.id == first.subscription.id


async def test_two_admins_adding_the_same_feed_at_once_get_one_subscription(
    repositories: Repositories,
) -> None:
    # Side by side (PostgreSQL runs the transactions concurrently; SQLite queues them), both
    # pass the "already subscribed?" check before either inserts.
    url = "https://news.example/feed"
    results = await asyncio.gather(*(
        repositories.subscriptions.subscribe(
            GUILD_A, CHANNEL_A, snapshot(url, "a", "b"), created_by=admin, now=NOW,
            max_feeds=10,
        )
        for admin in (1, 2, 3)
    ))
    assert len({result.subscription.id for result in results}) == 1
    assert sorted(result.already_existed for result in results) == [False, True, True]
    assert len(await repositories.subscriptions.list_for_guild(GUILD_A)) == 1


async def test_feed_limit_counts_distinct_feeds_per_server(repositories: Repositories) -> None:
    for number in range(2):
        await repositories.subscriptions.subscribe(
            GUILD_A, CHANNEL_A, snapshot(f"https://news.example/{number}"),
            created_by=1, now=NOW, max_feeds=2,
        )
    # Another channel following a feed the server already follows is not a new feed.
    await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A2, snapshot("https://news.example/0"), created_by=1, now=NOW, max_feeds=2
    )
    with pytest.raises(SubscriptionLimitReached) as refused:
        await repositories.subscriptions.subscribe(
            GUILD_A, CHANNEL_A, snapshot("https://news.example/3"),
            created_by=1, now=NOW, max_feeds=2,
        )
    assert (refused.value.count, refused.value.limit) == (2, 2)
    # The limit is per server.
    await repositories.subscriptions.subscribe(
        GUILD_B, CHANNEL_B, snapshot("https://news.example/3"), created_by=2, now=NOW, max_feeds=2
    )


async def test_servers_cannot_see_or_remove_each_others_subscriptions(
    repositories: Repositories,
) -> None:
    theirs = await repositories.subscriptions.subscribe(
        GUILD_B, CHANNEL_B, snapshot("https://news.example/feed"),
        created_by=2, now=NOW, max_feeds=10,
    )
    assert await repositories.subscriptions.list_for_guild(GUILD_A) == []
    assert await repositories.subscriptions.get(GUILD_A, theirs.subscription.id) is None
    assert not await repositories.subscriptions.remove(GUILD_A, theirs.subscription.id)
    assert len(await repositories.subscriptions.list_for_guild(GUILD_B)) == 1


async def test_interrupted_claims_are_released_and_resent_with_the_same_row(
    repositories: Repositories,
) -> None:
    subscribed = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed"),
        created_by=1, now=NOW, max_feeds=10,
    )
    created = await repositories.articles.ingest(
        subscribed.subscription.feed_id, [article("x")], check(), NOW
    )
    await read_everything(repositories)
    first_claim = await repositories.outbox.claim(NOW, 10)
    assert [d.outbox_id for d in first_claim] == created
    assert await repositories.outbox.claim(NOW, 10) == []  # claimed rows are not reclaimed
    assert await repositories.outbox.release_interrupted() == 1
    second_claim = await repositories.outbox.claim(NOW, 10)
    assert [d.outbox_id for d in second_claim] == created
    assert second_claim[0].attempts == 1  # a crash is not a failed attempt
    await repositories.outbox.mark_sent(created[0], 987654321, NOW)
    assert await repositories.outbox.count_unfinished(created) == 0
    assert await repositories.outbox.release_interrupted() == 0


async def test_disabling_a_subscription_cancels_its_queue(repositories: Repositories) -> None:
    subscribed = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed"),
        created_by=1, now=NOW, max_feeds=10,
    )
    created = await repositories.articles.ingest(
        subscribed.subscription.feed_id, [article("x"), article("y", 1)], check(), NOW
    )
    await repositories.subscriptions.disable(GUILD_A, subscribed.subscription.id, "gone")
    assert await repositories.outbox.count_unfinished(created) == 0
    listed = await repositories.subscriptions.list_for_guild(GUILD_A)
    assert not listed[0].subscription.enabled
    assert listed[0].subscription.disabled_reason == "gone"
    # A disabled subscription is not queued for new entries.
    more = await repositories.articles.ingest(
        subscribed.subscription.feed_id, [article("z", 2)], check(), NOW
    )
    assert more == []


async def test_removing_the_bot_disables_only_that_servers_subscriptions(
    repositories: Repositories,
) -> None:
    mine = await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed"),
        created_by=1, now=NOW, max_feeds=10,
    )
    theirs = await repositories.subscriptions.subscribe(
        GUILD_B, CHANNEL_B, snapshot("https://news.example/feed"),
        created_by=2, now=NOW, max_feeds=10,
    )
    created = await repositories.articles.ingest(
        mine.subscription.feed_id, [article("n")], check(), NOW
    )
    assert len(created) == 2
    assert await repositories.subscriptions.disable_guild(GUILD_A, "removed") == 1
    (a_view,) = await repositories.subscriptions.list_for_guild(GUILD_A)
    (b_view,) = await repositories.subscriptions.list_for_guild(GUILD_B)
    assert not a_view.subscription.enabled and b_view.subscription.enabled
    await read_everything(repositories)
    claimed = await repositories.outbox.claim(NOW, 10)
    assert [d.subscription_id for d in claimed] == [theirs.subscription.id]
