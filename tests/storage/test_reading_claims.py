"""Readers' claims and the story desk's queue in storage: a claim is one reader's until its
lease runs out, a reading is stored only by the reader holding the article, and a stored
reading is decided once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import ArticleDetails, ArticleReading, FeedCheck, FeedSnapshot, NewArticle
from storage import Database, Repositories
from storage.stories import AlreadyDecided
from tests.fixtures.engines import on_postgres
from tests.waiting import eventually

NOW = datetime.now(UTC).replace(microsecond=0)
GUILD, CHANNEL = 111, 1001
FEED_URL = "https://news.example/feed"


def article(key: str, minutes: int = 0) -> NewArticle:
    return NewArticle(
        entry_key=f"guid:{key}", url=f"https://news.example/{key}", title=f"Title {key}",
        summary=f"Summary {key}.", author=None, image_url=None,
        published_at=NOW + timedelta(minutes=minutes),
    )


def reading(title: str, fingerprint: bytes | None = None) -> ArticleReading:
    return ArticleReading(
        title=title, summary="Read summary.", author="Ann Lee", published_at=NOW,
        image_url=None, original_url="https://wire.example/original",
        original_url_key="wire.example/original", original_publisher="Wire",
        fingerprint=fingerprint, details=ArticleDetails(canonical_url="https://news.example/c"),
        text="The text of the page.",
    )


async def queue_articles(repositories: Repositories, count: int) -> list[int]:
    """Subscribe a channel to a feed and store ``count`` new articles waiting for it; return
    their ids, oldest first."""
    snapshot = FeedSnapshot(
        url=FEED_URL, title="Example News", site_url="https://news.example/", etag=None,
        last_modified=None, body_sha256="abc", interval_seconds=600,
        next_check_at=NOW + timedelta(minutes=10), entries=[],
    )
    subscribed = await repositories.subscriptions.subscribe(
        GUILD, CHANNEL, snapshot, created_by=1, now=NOW, max_feeds=10
    )
    check = FeedCheck(
        title="Example News", site_url=None, etag=None, last_modified=None, body_sha256="def",
        next_check_at=NOW + timedelta(minutes=10),
    )
    await repositories.articles.ingest(
        subscribed.subscription.feed_id,
        [article(str(n), minutes=n) for n in range(count)], check, NOW,
    )
    return [unread.article.id for unread in await repositories.stories.unread(count)]


async def test_a_claim_is_one_readers_until_its_lease_runs_out(
    repositories: Repositories,
) -> None:
    [article_id] = await queue_articles(repositories, 1)
    stories = repositories.stories
    [claimed] = await stories.claim_unread(4, "reader-a", lease_seconds=0.3)
    assert claimed.article.id == article_id and claimed.has_waiting_posts
    assert await stories.claim_unread(4, "reader-b", lease_seconds=60) == []

    async def taken_over() -> bool:
        return bool(await stories.claim_unread(4, "reader-b", lease_seconds=60))

    await eventually(taken_over, message="the lease never ran out")
    # The first reader's late reading is refused: the article is the second one's now.
    assert not await stories.store_reading(article_id, reading("Late"), "reader-a", NOW)
    assert await stories.store_reading(article_id, reading("Read"), "reader-b", NOW)
    [awaiting] = await stories.awaiting_desk(10)
    assert awaiting.unread.article.title == "Read"
    assert awaiting.unread.article.details.canonical_url == "https://news.example/c"
    assert awaiting.original_url == "https://wire.example/original"
    # Read: no reader claims it again, and ``unread`` (one process) still lists it.
    assert await stories.claim_unread(4, "reader-c", lease_seconds=60) == []
    assert [unread.article.id for unread in await stories.unread(10)] == [article_id]


async def test_a_stored_reading_is_decided_once_and_releases_its_posts(
    repositories: Repositories,
) -> None:
    first, second = await queue_articles(repositories, 2)
    stories = repositories.stories
    await stories.claim_unread(4, "reader", lease_seconds=60)
    assert await stories.store_reading(first, reading("First"), "reader", NOW)
    stored = reading("First")
    released = await stories.record_decision(first, stored, None, NOW)
    assert len(released) == 1
    with pytest.raises(AlreadyDecided):
        await stories.record_decision(first, stored, None, NOW)
    with pytest.raises(AlreadyDecided):  # not read yet: nothing to decide
        await stories.record_decision(second, stored, None, NOW)
    assert [a.unread.article.id for a in await stories.awaiting_desk(10)] == []
    assert await stories.story_of(first) is not None
    assert await stories.story_of(second) is None


async def test_a_stopped_reader_gives_its_articles_back_at_once(
    repositories: Repositories,
) -> None:
    first, second = await queue_articles(repositories, 2)
    stories = repositories.stories
    assert len(await stories.claim_unread(4, "reader-a", lease_seconds=600)) == 2
    assert await stories.begin_reading(first) == 1
    await stories.give_back_reading(first, "reader-a")  # begun: uncounted and released
    await stories.release_claims([second], "reader-a")  # not begun: released
    again = await stories.claim_unread(4, "reader-b", lease_seconds=600)
    assert [(u.article.id, u.read_attempts) for u in again] == [(first, 0), (second, 0)]


async def test_a_failed_reading_is_left_for_a_later_round(repositories: Repositories) -> None:
    [article_id] = await queue_articles(repositories, 1)
    stories = repositories.stories
    await stories.claim_unread(4, "reader-a", lease_seconds=600)
    await stories.begin_reading(article_id)
    await stories.record_read_failure(
        article_id, "the page broke", holder="reader-a", retry_seconds=600
    )
    assert await stories.claim_unread(4, "reader-b", lease_seconds=600) == []
    [unread] = await stories.unread(10)
    assert (unread.read_attempts, unread.read_failure) == (1, "the page broke")


@on_postgres
async def test_concurrent_claimers_never_claim_one_article_twice(
    database_target: str, repositories: Repositories,
) -> None:
    ids = await queue_articles(repositories, 60)
    claimers = [await Database.open(database_target) for _ in range(4)]
    claimed: dict[str, list[int]] = {}

    async def claim_all(name: str, database: Database) -> None:
        stories = Repositories.over(database).stories
        mine = claimed.setdefault(name, [])
        while batch := await stories.claim_unread(3, name, lease_seconds=600):
            mine.extend(unread.article.id for unread in batch)
            for unread in batch:  # read at once, so the next claim looks further
                assert await stories.store_reading(unread.article.id, reading("R"), name, NOW)

    try:
        await asyncio.gather(
            *(claim_all(f"reader-{n}", database) for n, database in enumerate(claimers))
        )
    finally:
        for database in claimers:
            await database.close()
    everything = [article_id for mine in claimed.values() for article_id in mine]
    assert sorted(everything) == sorted(ids)  # each exactly once
