"""Backfilling a feed another channel follows: its articles were read (or given up) already,
so no reading will decide the new channel's rows; subscribing decides them at once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.models import ArticleDetails, ArticleReading, FeedSnapshot, NewArticle, OutboxState
from storage import Repositories
from tests.fixtures.engines import on_both_engines

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GUILD, NEWS, WORLD = 111, 1001, 1002


def snapshot(*keys: str) -> FeedSnapshot:
    return FeedSnapshot(
        url="https://news.example/feed", title="News", site_url=None, etag=None,
        last_modified=None, body_sha256="a", interval_seconds=600, next_check_at=NOW,
        entries=[
            NewArticle(entry_key=key, url=f"https://news.example/{key}", title=f"Title {key}",
                       summary="Summary.", author=None, image_url=None, published_at=NOW)
            for key in keys
        ],
    )


@on_both_engines
async def test_backfilled_rows_of_read_and_given_up_articles_are_decided_at_once(
    repositories: Repositories,
) -> None:
    await repositories.subscriptions.subscribe(
        GUILD, NEWS, snapshot("read", "poison", "unread"), created_by=1, now=NOW, max_feeds=10
    )
    read, poison, unread = await repositories.stories.unread(10)
    reading = ArticleReading(
        title="Title", summary="Summary.", author=None, published_at=NOW, image_url=None,
        original_url=None, original_url_key=None, original_publisher=None, fingerprint=None,
        details=ArticleDetails(),
    )
    await repositories.stories.record_reading(read.article.id, reading, None, NOW)
    await repositories.stories.give_up_reading(poison.article.id, "the page never loads", NOW)

    await repositories.subscriptions.subscribe(
        GUILD, WORLD, snapshot(), created_by=1, now=NOW, max_feeds=10, backfill=3
    )
    states = {
        article.article.id: await repositories.stories.waiting_rows(article.article.id)
        for article in (read, poison, unread)
    }
    assert states[unread.article.id] != []  # its reading will decide it
    assert states[read.article.id] == [] and states[poison.article.id] == []
    claimed = await repositories.outbox.claim(NOW, 10)
    assert [(row.channel_id, row.article.id) for row in claimed] == [(WORLD, read.article.id)]
    failed = [
        status for status in [await repositories.outbox.status(row_id) for row_id in range(1, 10)]
        if status is not None and status.state is OutboxState.FAILED
    ]
    assert [status.failure for status in failed] == ["the page never loads"]
