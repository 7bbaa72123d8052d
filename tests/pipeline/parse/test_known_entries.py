"""Parsing told the keys a poll already stored (``known_keys``): those entries come back
keyed only, every other one exactly as an eager parse reads it, and the articles
a poll stores from them are the eager parse's new ones."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import FrozenInstanceError, fields, replace

import pytest

from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import ParsedEntry, parse_feed
from tests.fixtures import SHARED

REAL_FEEDS = SHARED / "data" / "real-feeds"
REAL_FEEDS_MAX_BYTES = 150_000
NEW_ENTRIES = 3
FEED_URL = "https://news.example.org/feed.xml"


def _as_known(entry: ParsedEntry, document: Sequence[ParsedEntry] = ()) -> ParsedEntry:
    """``entry`` as a poll reads it stored, ``document`` its document's entries: what makes
    its key (its guid when no other entry has it, else its link; else title and summary)."""
    keyed_by_text = entry.guid is None and entry.link is None
    keyed_by_guid = entry.guid is not None and [e.guid for e in document].count(entry.guid) == 1
    return ParsedEntry(
        guid=entry.guid, link=None if keyed_by_guid else entry.link,
        title=entry.title if keyed_by_text else "",
        summary=entry.summary if keyed_by_text else "", content_html=None,
        published=None, author=None, image_url=None, known=True,
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
            assert after == (
                _as_known(before, eager.entries) if after.known else before
            ), item["url"]
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


def test_an_entry_without_guid_or_link_is_read_for_its_title_and_summary_only() -> None:
    # its key is a hash of its title and summary: stored, it is read for those alone
    eager = parse_feed(RSS, url=FEED_URL)
    every_key = frozenset(article.entry_key for article in articles_from_entries(eager.entries))
    polled = parse_feed(RSS, url=FEED_URL, known_keys=every_key)
    assert [entry.known for entry in polled.entries] == [True, True, True]
    assert polled.entries[0] == _as_known(eager.entries[0], eager.entries)
    assert polled.entries[2] == _as_known(eager.entries[2], eager.entries)
    assert (polled.entries[2].title, polled.entries[2].summary) == ("No guid, no link", "Three")
    assert articles_from_entries(polled.entries) == []
    # not stored, it is read whole and handed on (and stored once: its key is taken)
    stored = every_key - {key for key in every_key if key.startswith("hash:")}
    polled = parse_feed(RSS, url=FEED_URL, known_keys=stored)
    assert [entry.known for entry in polled.entries] == [True, True, False]
    assert polled.entries[2] == eager.entries[2]
    assert [a.title for a in articles_from_entries(polled.entries)] == ["No guid, no link"]


def _atom(entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Desk</title><id>urn:desk</id>{entries}</feed>"
    ).encode()


def _atom_entry(number: int, title: str = "", body: str = "Body") -> str:
    title = title or f"<title>Story {number}</title>"
    return (
        f"<entry>{title}<id>urn:story:{number}</id>"
        f'<link href="https://news.example.org/{number}"/>'
        f"<updated>2026-01-0{number}T00:00:00Z</updated>"
        f'<content type="html">{body}</content></entry>'
    )


_XHTML_TITLE = (
    '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Story <b>2</b></div></title>'
)


def _stored_but_newest(body: bytes, new: int = 1) -> frozenset[str]:
    articles = articles_from_entries(parse_feed(body, url=FEED_URL).entries)
    return frozenset(article.entry_key for article in articles[:-new])


def test_what_only_feedparser_reads_in_a_stored_entry_leaves_the_new_ones_to_the_fast_path() -> (
    None
):
    # an eager parse hands the document to feedparser for entry 2's inline XHTML title; a
    # poll does not read entry 2's text at all, and reads entry 3 as the eager parse does
    body = _atom(_atom_entry(3) + _atom_entry(2, title=_XHTML_TITLE) + _atom_entry(1))
    eager = parse_feed(body, url=FEED_URL)
    polled = parse_feed(body, url=FEED_URL, known_keys=_stored_but_newest(body))
    assert [entry.known for entry in polled.entries] == [False, True, True]
    assert polled.entries[0] == eager.entries[0]
    assert eager.entries[1].title == "Story 2"


def test_what_only_feedparser_reads_in_a_new_entry_still_sends_the_document_to_it() -> None:
    body = _atom(_atom_entry(3, title=_XHTML_TITLE) + _atom_entry(2) + _atom_entry(1))
    eager = parse_feed(body, url=FEED_URL)
    polled = parse_feed(body, url=FEED_URL, known_keys=_stored_but_newest(body))
    assert polled.entries[0] == eager.entries[0]
    assert polled.entries[0].title == "Story 2"  # feedparser's reading of the XHTML


def test_an_entry_tag_inside_cdata_does_not_shift_where_new_entries_are_looked_for() -> None:
    # entry 3, stored, quotes an entry start tag in CDATA; entry 2 is new; entry 1, stored,
    # holds inline XHTML: found where entry 2 is, the fast path reads entry 2 (counting the
    # quoted tag, the new entry would not be found and feedparser would read everything)
    quoted = "<![CDATA[<p>Feeds look like <entry><title>x</title></entry></p>]]>"
    body = _atom(
        _atom_entry(3, body=quoted) + _atom_entry(2) + _atom_entry(1, title=_XHTML_TITLE)
    )
    eager = parse_feed(body, url=FEED_URL)
    articles = articles_from_entries(eager.entries)
    stored = frozenset(a.entry_key for a in articles if a.url != "https://news.example.org/2")
    polled = parse_feed(body, url=FEED_URL, known_keys=stored)
    assert [entry.known for entry in polled.entries] == [True, False, True]
    assert polled.entries[1] == eager.entries[1]


def test_a_document_whose_items_all_carry_an_undeclared_prefix_is_read_repaired() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><rss:channel><rss:title>Desk</rss:title>'
        b"<rss:item><rss:title>One</rss:title><rss:link>https://news.example.org/1</rss:link>"
        b"</rss:item><rss:item><rss:title>Two</rss:title>"
        b"<rss:link>https://news.example.org/2</rss:link></rss:item></rss:channel></rss>"
    )
    parsed = parse_feed(body, url=FEED_URL)
    assert [entry.title for entry in parsed.entries] == ["One", "Two"]
    assert parsed.title == "Desk"
    # items without a prefix beside an undeclared one elsewhere: read as they are
    plain = body.replace(b"rss:item", b"item").replace(b"rss:link", b"link")
    assert [entry.link for entry in parse_feed(plain, url=FEED_URL).entries] == [
        "https://news.example.org/1", "https://news.example.org/2",
    ]


def test_a_stored_entry_made_quickly_equals_one_made_by_the_dataclass() -> None:
    quick = ParsedEntry.stored("urn:1", "https://news.example.org/1")
    assert quick == _as_known(replace(quick, known=False))
    by_text = ParsedEntry.stored(None, None, "Title", "Summary")
    assert by_text == _as_known(replace(by_text, known=False))
    assert set(vars(quick)) == {field.name for field in fields(ParsedEntry)}
    assert hash(quick) == hash(_as_known(quick))
    with pytest.raises(FrozenInstanceError):
        quick.title = "changed"  # type: ignore[misc]


def _rss_items(items: str, head: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"'
        f' xmlns:atom="http://www.w3.org/2005/Atom"{head}><channel><title>Desk</title>'
        f"<link>https://news.example.org/</link>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("name", "body"),
    [
        # a guid equal to the link, and a link alone (fastfeedparser copies it as the id)
        ("permalink guid", _rss_items("".join(
            f"<item><title>Story {n}</title><link>https://news.example.org/{n}</link>"
            f"<guid>https://news.example.org/{n}</guid></item>" for n in (3, 2, 1)
        ))),
        ("link alone", _rss_items("".join(
            f"<item><title>Story {n}</title><link>https://news.example.org/{n}</link></item>"
            for n in (3, 2, 1)
        ))),
        # an id that is no link, and a relative permalink resolved against the feed's URL
        ("opaque id", _rss_items("".join(
            f'<item><title>Story {n}</title><guid isPermaLink="false">story-{n}</guid></item>'
            for n in (3, 2, 1)
        ))),
        ("relative permalink", _rss_items("".join(
            f"<item><title>Story {n}</title><guid>/stories/{n}</guid></item>" for n in (3, 2, 1)
        ))),
        ("atom without ids", _atom("".join(
            f'<entry><title>Story {n}</title><link href="https://news.example.org/{n}"/>'
            "</entry>" for n in (3, 2, 1)
        ))),
        ("atom relative ids, root base", _atom("".join(
            f"<entry><title>Story {n}</title><id>/stories/{n}</id></entry>" for n in (3, 2, 1)
        )).replace(b"<feed ", b'<feed xml:base="https://base.example.org/a/" ', 1)),
    ],
)
def test_stored_entries_are_recognised_whatever_shape_their_guids_and_links_take(
    name: str, body: bytes
) -> None:
    eager = parse_feed(body, url=FEED_URL)
    polled = parse_feed(body, url=FEED_URL, known_keys=_stored_but_newest(body))
    assert [entry.known for entry in polled.entries] == [False, True, True], name
    assert polled.entries[0] == eager.entries[0], name
    for before, after in zip(eager.entries[1:], polled.entries[1:], strict=True):
        assert after == _as_known(before, eager.entries), name


def test_an_irregular_stored_entry_is_recognised_without_reading_the_document_through() -> None:
    # entry 1, stored, sets its own xml:base: an eager parse hands the document to
    # feedparser; a poll recognises entry 1 by its link as a regular document reads it (the
    # one it was stored under, here) and reads only entry 3, the new one, as eagerly
    entry_1 = (
        '<entry xml:base="https://elsewhere.example.org/"><title>Story 1</title>'
        '<id>urn:story:1</id><link href="https://news.example.org/1"/></entry>'
    )
    body = _atom(_atom_entry(3) + _atom_entry(2) + entry_1)
    eager = parse_feed(body, url=FEED_URL)
    polled = parse_feed(body, url=FEED_URL, known_keys=_stored_but_newest(body))
    assert [entry.known for entry in polled.entries] == [False, True, True]
    assert polled.entries[0] == eager.entries[0]
