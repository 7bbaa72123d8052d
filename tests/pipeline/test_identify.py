"""Per-feed identity of entries, and their order."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.urls import normalise_url
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


HOSTILE_HOST_PIECES = st.sampled_from(
    ["xn--", "xn--a-", "xn--zz", "-", ".", "..", "a", "_", "é", "ß", "例", "\u200b", "\x00",
     "\x7f", " ", "%", ":", "[", "]", "@", "\ufeff", "\u3002", "\uff0e", "\uff03", "\u2100",
     "0x7f", "1", "a" * 64, "::1", "[::1]", "/", "?", "#", "\ud800", "\udfff"]
)


@settings(max_examples=500, deadline=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://", "http:", ""]),
    host=st.lists(HOSTILE_HOST_PIECES, max_size=8).map("".join),
    port=st.sampled_from(["", ":80", ":0", ":65536", ":-1", ":a", ":"]),
    rest=st.text(max_size=12),
)
def test_hostile_links_never_stop_identification(
    scheme: str, host: str, port: str, rest: str
) -> None:
    link = f"{scheme}{host}{port}/{rest}"
    articles = articles_from_entries([entry(None, link, "Title"), entry("g", link, "Other")])
    assert len(articles) == 2
    for article in articles:
        assert article.url_key is not None
        assert article.url_key == normalise_url(link)
