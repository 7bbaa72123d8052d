"""A destination refused for good stops its whole channel at once, whatever runs beside it.

The deliverer's rounds claim rows while channel workers record outcomes, and on PostgreSQL
their transactions run side by side: once a row has failed for good (403/404), no later
row of its channel may be claimable before its subscription is disabled.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.models import (
    ArticleCard,
    ArticleDetails,
    ArticleReading,
    Delivery,
    FeedCheck,
    FeedSnapshot,
    NewArticle,
)
from bot.pipeline.deliver.deliverer import Deliverer, SendRejected
from bot.pipeline.timings import PipelineTimings
from storage import Repositories
from storage.leases import Fence
from tests.fixtures.engines import on_both_engines
from tests.pipeline.deliver.senders import UnexpectedCalls

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GUILD, CHANNEL = 111, 1001


def entry(key: str) -> NewArticle:
    return NewArticle(
        entry_key=key, url=f"https://news.example/{key}", title=f"Title {key}",
        summary="Summary.", author=None, image_url=None, published_at=NOW,
    )


async def record_reading(repositories: Repositories, article_id: int) -> None:
    reading = ArticleReading(
        title="Title", summary="Summary.", author=None, published_at=NOW, image_url=None,
        original_url=None, original_url_key=None, original_publisher=None, fingerprint=None,
        details=ArticleDetails(),
    )
    await repositories.stories.record_reading(article_id, reading, None, NOW)


async def queue_two_articles(repositories: Repositories) -> list[int]:
    """Subscribe ``CHANNEL`` to a feed and ingest two articles; return their outbox rows
    (waiting for their readings)."""
    snapshot = FeedSnapshot(
        url="https://news.example/feed", title="News", site_url=None, etag=None,
        last_modified=None, body_sha256="a", interval_seconds=600, next_check_at=NOW, entries=[],
    )
    subscribed = await repositories.subscriptions.subscribe(
        GUILD, CHANNEL, snapshot, created_by=1, now=NOW, max_feeds=10
    )
    check = FeedCheck(title="News", site_url=None, etag=None, last_modified=None,
                      body_sha256="b", next_check_at=NOW)
    return await repositories.articles.ingest(
        subscribed.subscription.feed_id, [entry("one"), entry("two")], check, NOW
    )


class ClosedChannel(UnexpectedCalls):
    """A sender for a channel closed to the bot; the next article is read meanwhile."""

    def __init__(self, repositories: Repositories, read_meanwhile: int) -> None:
        self._repositories = repositories
        self._read_meanwhile = read_meanwhile

    async def send_post(
        self, delivery: Delivery, card: ArticleCard, nonce: str, *,
        content: str | None, quotes_button: bool,
    ) -> int:
        await record_reading(self._repositories, self._read_meanwhile)
        raise SendRejected("it lacks Send Messages there", permanent=True)

    async def fallback_notice_channel(self, guild_id: int, avoid_channel_id: int) -> int | None:
        return 2002


@on_both_engines
async def test_no_later_row_of_a_refused_channel_can_be_claimed_meanwhile(
    repositories: Repositories,
) -> None:
    first, second = await queue_two_articles(repositories)
    first_article = (await repositories.stories.unread(10))[0].article.id
    await record_reading(repositories, first_article)
    (claimed,) = await repositories.outbox.claim(NOW, 10)
    # Another delivery round runs beside each step that records the refusal.
    claimed_meanwhile: list[int] = []
    outbox, subscriptions = repositories.outbox, repositories.subscriptions
    mark_failed, disable = outbox.mark_failed, subscriptions.disable

    async def claim_then_mark_failed(
        outbox_id: int, reason: str, fence: Fence | None = None
    ) -> None:
        claimed_meanwhile.extend(row.outbox_id for row in await outbox.claim(NOW, 10))
        await mark_failed(outbox_id, reason, fence)

    async def claim_then_disable(
        guild_id: int, subscription_id: int, reason: str, *, fence: Fence | None = None
    ) -> None:
        claimed_meanwhile.extend(row.outbox_id for row in await outbox.claim(NOW, 10))
        await disable(guild_id, subscription_id, reason, fence=fence)

    outbox.mark_failed = claim_then_mark_failed  # type: ignore[method-assign]
    subscriptions.disable = claim_then_disable  # type: ignore[method-assign]
    deliverer = Deliverer(
        repositories, ClosedChannel(repositories, first_article + 1), lambda: NOW,
        timings=PipelineTimings(),
    )

    await deliverer._deliver_channel(claimed)

    assert claimed.outbox_id == first
    assert claimed_meanwhile == []
    statuses = [await outbox.status(outbox_id) for outbox_id in (first, second)]
    assert [status.state.value if status else None for status in statuses] == [
        "failed", "failed"
    ]
