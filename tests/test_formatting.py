"""The article embed: Discord's limits are respected by trimming, never by failing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.models import Article
from bot.core.text import trim_text, trim_to_sentence
from bot.discord_io.embeds import card_embed
from bot.pipeline.deliver.cards import article_card

MOMENT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def make_article(**changes: object) -> Article:
    values: dict[str, object] = {
        "id": 1, "feed_id": 1, "entry_key": "guid:1", "url": "https://news.example/a",
        "title": "A title", "summary": "One. Two.", "author": "Ada Reporter",
        "image_url": "https://news.example/a.jpg", "published_at": MOMENT, "first_seen_at": MOMENT,
    }
    values.update(changes)
    return Article(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short.", 100, "Short."),
        ("First sentence here. Second sentence is longer than the rest.", 30,
         "First sentence here."),
        ("“Quoted sentence,” she said. Then more words follow here.", 40,
         "“Quoted sentence,” she said."),
        ("no sentence boundary at all just words going on", 20, "no sentence…"),
    ],
)
def test_trim_to_sentence(text: str, limit: int, expected: str) -> None:
    trimmed = trim_to_sentence(text, limit)
    assert trimmed == expected
    assert len(trimmed) <= limit


def test_trim_text_never_exceeds_the_limit() -> None:
    for limit in (5, 17, 256):
        assert len(trim_text("word " * 200, limit)) <= limit


def test_embed_links_title_credits_source_and_shows_publish_time() -> None:
    embed = card_embed(article_card(
        make_article(), source_name="Example News", source_url="https://news.example/"
    )).to_dict()
    assert embed["title"] == "A title"
    assert embed["url"] == "https://news.example/a"
    assert embed["author"] == {"name": "Example News", "url": "https://news.example/"}
    # The date is shown once, by the embed's own timestamp (in each reader's time zone).
    assert embed["timestamp"] == MOMENT.isoformat()
    assert not any(field["name"] == "Published" for field in embed.get("fields", []))
    assert embed["footer"]["text"] == "By Ada Reporter"
    assert embed["image"]["url"] == "https://news.example/a.jpg"


def test_oversized_fields_are_trimmed_to_discord_limits() -> None:
    embed = card_embed(article_card(
        make_article(title="T" * 1000, summary="word " * 3000, author="A" * 5000),
        source_name="S" * 1000, source_url=None,
    )).to_dict()
    assert len(embed["title"]) <= 256
    assert len(embed["description"]) <= 4096
    assert len(embed["author"]["name"]) <= 256
    assert len(embed["footer"]["text"]) <= 2048
    total = sum(len(embed[k]) for k in ("title", "description")) + len(embed["author"]["name"])
    assert total + len(embed["footer"]["text"]) <= 6000


def test_non_web_urls_are_not_linked() -> None:
    embed = card_embed(article_card(
        make_article(url="javascript:alert(1)", image_url="file:///etc/passwd"),
        source_name="S", source_url="ftp://x",
    )).to_dict()
    assert "url" not in embed
    assert "image" not in embed
    assert "url" not in embed["author"]
