"""Feed parsing: a table of small fixture feeds, then the shared corpora of real feeds."""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.errors import FeedParseError
from bot.pipeline.parse import ParsedEntry, ParsedFeed, parse_feed
from bot.pipeline.parse.field_cleaning import html_to_text, tidy_text
from tests.fixtures import FIXTURES, SHARED

FEEDS = FIXTURES / "feeds"
SHARED_DATA = SHARED / "data"
FEED_URL = "https://feeds.example.org/feed"


def _parse(name: str, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), url=FEED_URL, content_type=content_type)


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_rss20_cdata_entities_and_cleaning() -> None:
    feed = _parse("rss20_cdata_entities.xml")
    assert feed.title == "Harbour Town & Valley News"
    assert feed.link == "https://news.example.org/"
    assert feed.ttl_minutes == 30
    assert feed.icon_url == "https://news.example.org/logo.png"
    assert feed.problem is not None  # &#x7; is not allowed in XML; the loose parser recovered
    first, second, hidden, untitled = feed.entries
    assert first == ParsedEntry(
        guid="htvn-1001",
        link="https://news.example.org/2025/ferry-timetable",
        title="Ferry timetable changes: Café & terminal reopen",
        summary="The harbour ferry runs hourly again.\n\nTickets cost £3.",
        content_html=first.content_html,
        published=_utc(2025, 4, 1, 7, 30),
        author="Mira Okafor",
        image_url="https://feeds.example.org/img/ferry.jpg",
    )
    assert first.content_html is not None and "More details follow" in first.content_html
    assert second.title == 'Council votes 7–2 on "quiet streets" plan & budget'
    assert second.link == "https://feeds.example.org/2025/quiet-streets"
    assert second.author == "Tomas Lind"
    assert second.published == _utc(2025, 4, 2, 18, 0)
    assert hidden.title == "Hiddenzerowidth title"  # zero-width, bidi override, control gone
    assert hidden.link is None  # javascript: is not a link
    assert hidden.published is None  # the year 2100 is not trusted
    assert (untitled.title, untitled.link, untitled.published) == ("", None, None)
    assert untitled.summary == "An item with no title, link or date."


def test_rss10_rdf() -> None:
    feed = _parse("rss10.rdf")
    assert feed.title == "Lakeside Science Desk"
    assert [e.title for e in feed.entries] == [
        "Amateur astronomers track a faint comet",
        "Moss survey finds cleaner air downtown",
    ]
    assert feed.entries[0].published == _utc(2025, 3, 14, 21, 15)
    assert feed.entries[1].published == _utc(2025, 3, 15, 7, 0)
    assert feed.entries[0].author == "Ana Ruiz"
    assert feed.entries[1].link == "https://science.example.net/moss"


def test_atom_with_xml_base_relative_links() -> None:
    feed = _parse("atom_xml_base.atom", "application/atom+xml")
    assert feed.title == "Field Notes"
    assert feed.link == "https://blog.example.com/notes/"
    assert feed.icon_url == "https://blog.example.com/favicon.ico"
    first, second = feed.entries
    assert first.link == "https://blog.example.com/notes/2025/relative-entry.html"
    assert first.image_url == "https://blog.example.com/notes/thumbs/relative.jpg"
    assert first.published == _utc(2025, 2, 1, 13, 0)  # published wins over updated
    assert first.summary == "Short summary."
    assert first.content_html == "<p>First paragraph.</p><p>Second<br>line.</p>"
    assert first.author == "Jo Park"
    assert second.link == "https://other.example.com/archive/item-2"
    assert second.published == _utc(2025, 2, 3, 10, 0)  # from updated
    assert second.summary == "Only updated is set."


@pytest.mark.parametrize("content_type", [None, "application/feed+json", "application/json"])
def test_json_feed_11(content_type: str | None) -> None:
    feed = _parse("jsonfeed_11.json", content_type)
    assert feed.title == "Riverside Tech Bulletin"
    assert feed.link == "https://tech.example.io/"
    assert feed.icon_url == "https://feeds.example.org/icon-512.png"
    first, second = feed.entries
    assert first.guid == "rtb-77"
    assert first.title == "Solar bus shelters get e-ink timetables"
    assert first.summary == "Twelve shelters now show live times."
    assert first.content_html is not None and "Power comes from the roof" in first.content_html
    assert first.published == _utc(2025, 5, 6, 5, 45)
    assert first.author == "Priya Nair"
    assert first.image_url == "https://feeds.example.org/images/shelter.jpg"
    assert second.guid == "78"
    assert second.title == ""
    assert second.link == "https://feeds.example.org/posts/library-3d-printers"
    assert second.summary == "The library lends 3D printers.\nBookings open Monday."
    assert second.published == _utc(2025, 5, 7, 10, 0)
    assert second.author == "Lee Chen"
    assert second.image_url == "https://cdn.example.io/printer.png"


def test_a_reference_to_no_character_does_not_lose_the_feed() -> None:
    body = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>Desk</title>"
        b"<item><title>Caf&#xE9; &#99999999; opens</title><link>https://example.com/a</link>"
        b"</item><item><title>Second &#xD800; story</title>"
        b"<link>https://example.com/b</link></item></channel></rss>"
    )
    parsed = parse_feed(body, url=FEED_URL)
    assert [entry.link for entry in parsed.entries] == [
        "https://example.com/a", "https://example.com/b"
    ]
    first, second = (entry.title for entry in parsed.entries)
    assert first == "Café \ufffd opens"  # the good reference kept, the bad one marked
    assert second == "Second \ufffd story"


def test_undeclared_windows_1252() -> None:
    feed = _parse("windows1252_undeclared.xml")
    assert feed.title == "Café Gazette"
    assert feed.entries[0].title == "“Quoted” naïve news – café"


def test_ill_formed_feed_returns_recovered_entries() -> None:
    feed = _parse("illformed_recoverable.xml")
    assert feed.problem is not None
    titles = [e.title for e in feed.entries]
    assert titles[:2] == ["First item survives", "Second item has a bare & ampersand"]
    assert feed.entries[1].link == "https://broken.example.com/2"


def test_images_from_media_enclosures_and_body() -> None:
    images = [e.image_url for e in _parse("media_images.xml").entries]
    assert images == [
        "https://img.example.org/a-thumb.jpg",
        "https://img.example.org/b.png",
        "https://img.example.org/c.webp",
        "https://feeds.example.org/d.jpg?w=1&h=2",
        None,
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (
            (FEEDS / "html_page.html").read_bytes(),
            "text/html",
            "returned a web page, not a feed",
        ),
        ((FEEDS / "html_page.html").read_bytes(), None, "returned a web page, not a feed"),
        (b"", None, "empty document"),
        (b"   \n", "application/rss+xml", "empty document"),
        (b"\x00\x01garbage\xff", None, "did not return a feed"),
        (b'{"hello": "world"}', "application/json", "JSON data, not a feed"),
        (b"{not json", "application/feed+json", "damaged JSON"),
    ],
)
def test_not_a_feed_raises_feed_parse_error(
    body: bytes, content_type: str | None, message: str
) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, url=FEED_URL, content_type=content_type)


def test_html_to_text_drops_scripts_and_splits_blocks() -> None:
    text = html_to_text(
        "<div>One <b>bold</b>&amp;  more</div><script>var x = '<p>';</script>"
        "<style>p { }</style><ul><li>a</li><li>b</li></ul>line<br>break"
    )
    assert text == "One bold& more\n\na\n\nb\n\nline\nbreak"
    assert tidy_text(" a\u200b\u202e b\x00\n c ") == "a b c"


# --- the shared corpora ---------------------------------------------------------------------


def _require_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (see /work/shared/data)")
    return SHARED_DATA


_HEADER_CONTENT_TYPE = re.compile(rb"Header:\s*Content-type:\s*([^\r\n]+?)\s*(?:-->|\n)", re.I)


def _parse_corpus_file(path_and_url: tuple[str, str]) -> tuple[str, str, int]:
    """Parse one corpus file; return (path, outcome, entry count). Runs in a worker process."""
    path, url = path_and_url
    body = Path(path).read_bytes()
    if path.endswith(".gz"):
        body = gzip.decompress(body)
    content_type = None
    declared = _HEADER_CONTENT_TYPE.search(body[:2000])
    if declared:
        content_type = declared.group(1).decode("ascii", "replace")
    elif ".json" in path:
        content_type = "application/feed+json"
    try:
        return path, "ok", len(parse_feed(body, url=url, content_type=content_type).entries)
    except FeedParseError:
        return path, "not a feed", 0
    except Exception as error:  # The assertion below reports it with the file name.
        return path, f"{type(error).__name__}: {error}", 0


def test_corpora_parse_without_unexpected_errors() -> None:
    data = _require_shared_data()
    jobs = [
        (str(p), "http://example.com/feed")
        for p in sorted((data / "feedparser-tests").rglob("*"))
        if p.suffix in (".xml", ".json")
    ]
    real_feeds = json.loads((data / "real-feeds" / "index.json").read_text())
    real_jobs = [(str(data / "real-feeds" / item["file"]), item["url"]) for item in real_feeds]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        outcomes = list(pool.map(_parse_corpus_file, jobs + real_jobs, chunksize=8))
    elapsed = time.perf_counter() - started
    unexpected = [
        (path, outcome) for path, outcome, _ in outcomes if outcome not in ("ok", "not a feed")
    ]
    assert unexpected == []
    real_outcomes = outcomes[len(jobs) :]
    assert len(real_outcomes) == 200
    assert all(outcome == "ok" for _, outcome, _ in real_outcomes)
    print(f"parsed {len(outcomes)} corpus files in {elapsed:.1f} s")


def _expected_title(value: object) -> str:
    return tidy_text(html.unescape(str(value or "")))


INTEGRATION_CASES = [
    "davidbau.xml",
    "foolcontrol.xml",
    "fwrarejazzvinylcollector.xml",
    "gamersnexus.xml",
    "json_feed_sample.json",
    "kagi.xml",
    "malformed_rss_namespaced.xml",
    "osm-pl.xml",
    "osm.xml",
    "postgis.xml",
    "pypy.xml",
    "stackoverflow.xml",
    "utf16_encoded.xml",
    "vintagehomeplans.xml",
]


@pytest.mark.parametrize("name", INTEGRATION_CASES)
def test_real_feeds_match_expected_output(name: str) -> None:
    folder = _require_shared_data() / "real-feeds" / "integration"
    expected_name = (
        "json_feed_sample.expected.json" if name.endswith(".json") else name[:-4] + ".json"
    )
    expected = json.loads((folder / expected_name).read_text())["entries"]
    feed = parse_feed((folder / name).read_bytes(), url="https://example.org/feed")
    assert len(feed.entries) == len(expected)
    assert [e.title for e in feed.entries] == [_expected_title(x.get("title")) for x in expected]
    assert [e.link for e in feed.entries] == [x.get("link") or None for x in expected]


def test_lone_surrogates_in_a_json_feed_become_replacement_characters() -> None:
    # "\ud800" is valid JSON but no text: left in, the link could not be encoded to store it.
    body = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Wire\ud800",
        "items": [{"id": "1\udfff", "url": "https://news.example/\ud800", "title": "A\ud800",
                   "content_text": "Text \ud800", "tags": [["\ud800"]], "\udc00": "x"}],
    }).encode()
    parsed = parse_feed(body, url="https://news.example/feed.json",
                        content_type="application/feed+json")
    entry = parsed.entries[0]
    assert parsed.title == "Wire\ufffd"
    assert (entry.guid, entry.link, entry.title) == (
        "1\ufffd", "https://news.example/\ufffd", "A\ufffd"
    )
    for text in (parsed.title, entry.guid or "", entry.link or "", entry.title, entry.summary):
        text.encode("utf-8")


@pytest.mark.parametrize(
    "hidden",
    ["\u061c", "\u3164", "\uffa0", "\u115f", "\u1160", "\u202e", "\u2067", "\u200f", "\u00ad",
     "\u180e", "\ufeff", "\x07"],
)
def test_invisible_and_bidi_characters_do_not_survive_cleaning(hidden: str) -> None:
    assert tidy_text(f"Breaking{hidden} news {hidden}") == "Breaking news"
    assert hidden not in html_to_text(f"<p>Breaking{hidden} news</p>")
