"""Per-feed identity of entries, and their order."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import ParsedEntry


def entry(guid: str | None, link: str | None, title: str, day: int | None = None) -> ParsedEntry:
    return ParsedEntry(
        guid=guid, link=link, title=title, summary="", content_html=None,
        published=datetime(2026, 11, day, tzinfo=UTC) if day else None,
        author=None, image_url=None,
    )


def test_guid_then_link_then_content_hash() -> None:
    keys = [a.entry_key for a in articles_from_entries([
        entry("g1", "https://x/1", "one", 3),
        entry(None, "https://x/2", "two", 2),
        entry(None, None, "three", 1),
    ])]
    assert keys[2] == "guid:g1"
    assert keys[1] == "link:https://x/2"
    assert keys[0].startswith("hash:")


def test_a_guid_shared_by_several_entries_falls_back_to_links() -> None:
    keys = {a.entry_key for a in articles_from_entries([
        entry("same", "https://x/1", "one", 1),
        entry("same", "https://x/2", "two", 2),
    ])}
    assert keys == {"link:https://x/1", "link:https://x/2"}


def test_exact_repeats_are_kept_once_and_output_is_oldest_first() -> None:
    articles = articles_from_entries([
        entry(None, "https://x/c", "newest", 20),
        entry(None, "https://x/b", "middle", 10),
        entry(None, "https://x/b", "middle", 10),
        entry(None, "https://x/a", "oldest", 1),
    ])
    assert [a.title for a in articles] == ["oldest", "middle", "newest"]


def test_undated_entries_keep_feed_order_reversed() -> None:
    articles = articles_from_entries([
        entry(None, "https://x/2", "second"),
        entry(None, "https://x/1", "first"),
    ])
    assert [a.title for a in articles] == ["first", "second"]
