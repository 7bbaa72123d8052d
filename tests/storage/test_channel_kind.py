"""The kind of channel a subscription or follow posts to, recorded when it is made, reaches
the deliverer with each claimed row (``Delivery.channel_kind``); rows of subscriptions made
before kinds were recorded carry None, and subscribing again records it."""

from __future__ import annotations

from bot.core.models import FORUM_CHANNEL, TEXT_CHANNEL, ArticleDetails, ArticleReading
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


async def test_a_follows_posts_carry_the_kind_recorded_at_following(
    repositories: Repositories,
) -> None:
    subscribed = await repositories.subscriptions.subscribe(
        GUILD_A, OLD_CHANNEL_ID, snapshot(FEED), created_by=1, now=NOW, max_feeds=10,
    )
    follow, _ = await repositories.follows.add(
        GUILD_A, CHANNEL_A, "keyword", "ceasefire", role_id=None, subscription_ids=None,
        created_by=1, now=NOW, channel_kind=TEXT_CHANNEL,
    )
    await repositories.articles.ingest(
        subscribed.subscription.feed_id, [article("1", 1)], check(), NOW
    )
    (unread,) = await repositories.stories.unread(10)
    reading = ArticleReading(
        title=unread.article.title, summary=unread.article.summary, author=None,
        published_at=unread.article.published_at, image_url=None, original_url=None,
        original_url_key=None, original_publisher=None, fingerprint=None,
        details=ArticleDetails(),
    )
    await repositories.stories.record_reading(
        unread.article.id, reading, None, NOW,
        follow_posts=[(GUILD_A, CHANNEL_A, follow.id, None)],
    )

    assert {d.channel_id: d.channel_kind for d in await repositories.outbox.claim(NOW, 10)} == {
        OLD_CHANNEL_ID: None, CHANNEL_A: TEXT_CHANNEL,
    }
