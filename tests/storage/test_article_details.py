"""An article's reading details: one typed model, encoded and decoded by storage alone."""

from __future__ import annotations

from bot.core.models import ArticleDetails, ArticleReading, Organization, Quote
from storage import Repositories
from storage.articles import details_from_json, details_to_json
from tests.storage.test_repositories import CHANNEL_A, GUILD_A, NOW, snapshot

DETAILS = ArticleDetails(
    canonical_url="https://news.example/a",
    language="en",
    people=("Zhanar Dzhanuzakova",),
    organizations=(Organization("Collective Security Treaty Organization", ("CSTO",)),),
    places=("Astana",),
    quotes=(
        Quote("Zhanar Dzhanuzakova", "the ministry", "The corridor stays open."),
        Quote(None, None, "Nothing is decided."),
    ),
)


def test_details_survive_the_json_the_column_keeps() -> None:
    assert details_from_json(details_to_json(DETAILS)) == DETAILS


def test_an_article_not_read_yet_has_empty_details() -> None:
    assert details_from_json(None) == ArticleDetails()
    assert details_from_json("{}") == ArticleDetails()


def test_details_stored_with_keys_missing_or_malformed_decode_to_what_is_there() -> None:
    stored = (
        '{"quotes": [{"speaker": null, "text": "Said plainly."}, "not a quote"],'
        ' "organizations": [{"name": "WHO"}], "people": "not a list"}'
    )
    assert details_from_json(stored) == ArticleDetails(
        organizations=(Organization("WHO"),), quotes=(Quote(None, None, "Said plainly."),)
    )


async def test_a_reading_is_stored_and_loaded_as_the_same_details(
    repositories: Repositories,
) -> None:
    await repositories.subscriptions.subscribe(
        GUILD_A, CHANNEL_A, snapshot("https://news.example/feed", "a"),
        created_by=1, now=NOW, max_feeds=10,
    )
    (unread,) = await repositories.stories.unread(10)
    article = unread.article
    assert article.details == ArticleDetails()
    reading = ArticleReading(
        title=article.title, summary=article.summary, author=None,
        published_at=article.published_at, image_url=None, original_url=None,
        original_url_key=None, original_publisher=None, fingerprint=None, details=DETAILS,
    )
    await repositories.stories.record_reading(article.id, reading, None, NOW)
    loaded = await repositories.articles.get_for_guild(GUILD_A, article.id)
    assert loaded is not None
    assert loaded.details == DETAILS
