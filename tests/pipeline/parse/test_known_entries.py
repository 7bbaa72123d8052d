"""Parsing told the keys a poll already stored (``known_keys``): those entries come back
keyed and dated only, every other one exactly as an eager parse reads it, and the articles
a poll stores from them are the eager parse's new ones."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace

import pytest

from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import ParsedEntry, parse_feed
from tests.fixtures import SHARED

REAL_FEEDS = SHARED / "data" / "real-feeds"
REAL_FEEDS_MAX_BYTES = 150_000
NEW_ENTRIES = 3
FEED_URL = "https://news.example.org/feed.xml"


def _as_known(entry: ParsedEntry) -> ParsedEntry:
    return ParsedEntry(
        guid=entry.guid, link=entry.link, title="", summary="", content_html=None,
        published=entry.published, author=None, image_url=None, known=True,
    )


def test_known_entries_of_the_real_feeds_are_only_keyed_and_the_new_read_whole() -> None:
    if not REAL_FEEDS.is_dir():
        pytest.skip(f"shared test data not found at {REAL_FEEDS}")
    index = json.loads((REAL_FEEDS / "index.json").read_text(encoding="utf-8"))
    known_entries = new_entries = read_whole = 0
    for item in index:
        if item["bytes"] > REAL_FEEDS_MAX_BYTES:
            continue
        body = gzip.decompress((REAL_FEEDS / item["file"]).read_bytes())
        eager = parse_feed(body, url=item["url"], max_items=500)
        articles = articles_from_entries(eager.entries)
        stored = frozenset(article.entry_key for article in articles[:-NEW_ENTRIES])
        polled = parse_feed(body, url=item["url"], max_items=500, known_keys=stored)
        assert replace(polled, entries=()) == replace(eager, entries=()), item["url"]
        assert len(polled.entries) == len(eager.entries), item["url"]
        for before, after in zip(eager.entries, polled.entries, strict=True):
            assert after == (_as_known(before) if after.known else before), item["url"]
            known_entries += after.known
            new_entries += not after.known
        if not any(entry.known for entry in polled.entries):
            # every entry new, or JSON Feed or a document feedparser reads: cleaned whole
            read_whole += len(articles) > NEW_ENTRIES
            assert polled == eager, item["url"]
            continue
        new = [article for article in articles if article.entry_key not in stored]
        assert articles_from_entries(polled.entries) == new, item["url"]
    assert read_whole <= 2
    assert known_entries > 5 * new_entries  # most of each feed taken as stored


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>News</title><link>https://news.example.org/</link>
<item><title>Kept by guid</title><guid isPermaLink="false">a-1</guid>
<description>&lt;p&gt;One&lt;/p&gt;</description></item>
<item><title>Kept by link</title><link>https://news.example.org/b</link>
<description>Two</description></item>
<item><title>No guid, no link</title><description>Three</description></item>
</channel></rss>"""


def test_an_entry_without_guid_or_link_is_always_read_whole() -> None:
    # its key is a hash of its title and summary: it cannot be known without them
    eager = parse_feed(RSS, url=FEED_URL)
    every_key = frozenset(article.entry_key for article in articles_from_entries(eager.entries))
    polled = parse_feed(RSS, url=FEED_URL, known_keys=every_key)
    assert [entry.known for entry in polled.entries] == [True, True, False]
    assert polled.entries[0] == _as_known(eager.entries[0])
    assert polled.entries[2] == eager.entries[2]
    assert polled.entries[2].summary == "Three"
    # the one cleaned is handed on (and stored once: its key is taken)
    assert [a.title for a in articles_from_entries(polled.entries)] == ["No guid, no link"]
