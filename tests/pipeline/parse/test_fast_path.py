"""The fastfeedparser path against feedparser's: the same ``ParsedFeed`` or a better one.

Every document of the shared corpora that the fast path reads is also read by feedparser's
path (``parse_syndication_feed``) and the two are compared field by field. The differences
that remain were each looked at and are listed below with why the fast path's value is as
good or better; any other difference fails.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import fastfeedparser
import fastfeedparser.main
import pytest

from bot.core.errors import FeedParseError
from bot.pipeline.parse import parse_feed
from bot.pipeline.parse.fast_reading import feedparser_date, read_document
from bot.pipeline.parse.fast_syndication import parse_fast_syndication
from bot.pipeline.parse.records import ParsedFeed
from bot.pipeline.parse.syndication import parse_syndication_feed
from tests.fixtures import SHARED

SHARED_DATA = SHARED / "data"
FEED_URL = "https://news.example.org/feed.xml"
REAL_FEEDS_MAX_BYTES = 150_000  # 133 of the 200 real feeds, about 2 s through both paths

_HEADER_CONTENT_TYPE = re.compile(rb"Header:\s*Content-type:\s*([^\r\n]+?)\s*(?:-->|\n)", re.I)
_FEED_FIELDS = ("title", "link", "ttl_minutes", "icon_url", "listed_items", "cut_off")

# (file, field) -> why the fast path's value is as good as feedparser's path's, or better.
# ``content_html`` is used by nothing outside parsing.
REVIEWED = {
    # real feeds
    ("14333881097406c7", "entry.image_url"): "the media:content picture (768 px) rather than "
    "its 320 px thumbnail",
    ("14333881097406c7", "entry.summary"): "the item's description, not the photo caption of "
    "a media:description feedparser takes as the summary",
    ("08f1ee71883dbcde", "entry.summary"): "the item's description, not a photo caption",
    ("5357198db71ce075", "entry.image_url"): "the first media:content picture (landscape), "
    "not the fourth (a portrait crop)",
    ("1cd3201079a0015b", "entry.summary"): "the same words, in paragraphs: the description "
    "equals what fastfeedparser makes up from the content, so the content is summarised",
    ("3d13901a267083a8", "entry.title"): "'Re: Double-entry…' where feedparser left "
    "'Re&colon; Double-entry…'",
    ("b0e71155ca8a590c", "feed.cut_off"): "not cut off: the document is whole, with a script "
    "tag after its root element",
    ("d87c1681464979cc", "feed.icon_url"): "the channel's first <image> (a square icon), not "
    "the second (a wide logo)",
    ("14dda539770f94e3", "feed.icon_url"): "the RDF channel's image, which feedparser missed",
    ("818f59b753411031", "entry.content_html"): "a plain-text summary is not kept as HTML",
    ("490dc9839ac777be", "entry.content_html"): "&quot; inside escaped HTML stays a "
    "reference (feedparser's loose parser decoded it twice); the same text",
    # feedparser's own test documents
    **{
        (name, "entry.content_html"): "the body kept as the feed gave it (C1 controls, "
        "double-encoded UTF-8); the summary is repaired as feedparser repairs it"
        for name in ("demoronize-1", "demoronize-2", "double-encoded-html",
                     "bozo_double-encoded-html")
    },
    ("entry_authors_email", "entry.author"): "no e-mail address shown as an author name",
    ("entry_authors_name", "entry.author"): "the first of several authors, not the last",
    ("item_madeup_tags_element", "entry.categories"): "a made-up <tags> element is no "
    "category",
    ("itunes_item_summary", "entry.content_html"): "a plain-text summary kept as its HTML",
    ("item_summary_and_description", "entry.content_html"): "the description kept as HTML",
    ("item_summary_and_description", "entry.summary"): "the description rather than "
    "<summary> (both are the item's summary)",
    ("entry_link_rel_enclosure_no_href", "entry.link"): "the alternate link, as the test "
    "expects, not an enclosure's text",
    ("atom10_id", "entry.link"): "the entry's own id, not that of an <image> inside it",
    ("entry_updated_multiple_values", "entry.published"): "the first of two <updated> "
    "elements, not the last",
    ("entry_content_text_plain_brackets", "entry.summary"): "text/plain content kept as "
    "text: 'History of the <blink> tag'",
    ("item_category_image", "entry.title"): "no title, rather than the title of an <image> "
    "nested in a <category>",
    ("shiftjis", "entry.title"): "an undeclared Shift-JIS document is garbled either way",
    ("shiftjis", "entry.summary"): "an undeclared Shift-JIS document is garbled either way",
    ("item_media_title2", "entry.title"): "a media:title before the item's <title> (a case "
    "made for feedparser's tests; none of the 200 real feeds has one)",
    ("rss2.0noNSwithModulesLocalNameClash", "entry.summary"): "an unknown namespace's "
    "<description> before the item's own (made for feedparser's tests)",
}


def _require_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (see /work/shared/data)")
    return SHARED_DATA


def _differences(old: ParsedFeed, new: ParsedFeed) -> set[str]:
    found = {f"feed.{name}" for name in _FEED_FIELDS if getattr(old, name) != getattr(new, name)}
    if len(old.entries) != len(new.entries):
        return found | {"entry count"}
    for before, after in zip(old.entries, new.entries, strict=True):
        found |= {
            f"entry.{field.name}" for field in fields(before)
            if getattr(before, field.name) != getattr(after, field.name)
        }
    return found


def _compare(name: str, body: bytes, url: str, content_type: str | None) -> set[str]:
    """The fields whose values differ between the paths ('refused' when only feedparser's
    path refuses the document); nothing when the fast path does not read it."""
    new = parse_fast_syndication(body, url, content_type, 500)
    if new is None:
        return set()
    try:
        old = parse_syndication_feed(body, url, content_type, 500)
    except FeedParseError:
        return {"refused"}
    return _differences(old, new)


def _unreviewed(name: str, differences: set[str]) -> set[tuple[str, str]]:
    return {(name, field) for field in differences} - REVIEWED.keys()


def test_the_feedparser_corpus_reads_alike_on_both_paths() -> None:
    data = _require_shared_data() / "feedparser-tests"
    unreviewed: set[tuple[str, str]] = set()
    read_fast = 0
    for path in sorted(data.rglob("*.xml")):
        body = path.read_bytes()
        declared = _HEADER_CONTENT_TYPE.search(body[:2000])
        content_type = declared.group(1).decode("ascii", "replace") if declared else None
        if parse_fast_syndication(body, "http://example.com/feed", content_type, 500):
            read_fast += 1
        found = _compare(path.stem, body, "http://example.com/feed", content_type)
        unreviewed |= _unreviewed(path.stem, found)
    assert unreviewed == set()
    assert read_fast > 750  # the rest: no items, Atom 0.3, legacy shapes made for the tests


def test_the_real_feeds_read_alike_on_both_paths() -> None:
    data = _require_shared_data() / "real-feeds"
    index = json.loads((data / "index.json").read_text())
    unreviewed: set[tuple[str, str]] = set()
    for_feedparser = set()
    for item in index:
        if item["bytes"] > REAL_FEEDS_MAX_BYTES or not item["file"].endswith(".xml.gz"):
            continue
        body = gzip.decompress((data / item["file"]).read_bytes())
        name = Path(item["file"]).name.removesuffix(".xml.gz")
        if parse_fast_syndication(body, item["url"], None, 500) is None:
            for_feedparser.add(name)
        unreviewed |= _unreviewed(name, _compare(name, body, item["url"], None))
    assert unreviewed == set()
    # Only one real feed needs feedparser: "<?xml?xml", undeclared rss: prefixes, rss:version=2.0
    assert for_feedparser == {"7ef13a42fa7e177a"}


# --- what the fast path must never do -----------------------------------------------------


def _rss(items: str, *, head: str = "", declaration: str = '<?xml version="1.0"?>') -> bytes:
    return (
        f'{declaration}<rss version="2.0"><channel><title>Desk</title>'
        f"<link>https://news.example.org/</link>{head}{items}</channel></rss>"
    ).encode()


def test_fastfeedparser_is_given_bytes_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fetching(url: str) -> bytes:
        raise AssertionError(f"fastfeedparser fetched {url}")

    monkeypatch.setattr(fastfeedparser.main, "_fetch_url_content", no_fetching)
    with pytest.raises(TypeError):
        parse_fast_syndication("https://news.example.org/feed.xml", FEED_URL, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        read_document("https://news.example.org/feed.xml", None)  # type: ignore[arg-type]
    assert parse_fast_syndication(b"https://news.example.org/feed.xml", FEED_URL, None) is None


def test_a_guid_is_never_read_as_a_date() -> None:
    # fastfeedparser reads an undated item's guid as its date (this one, as 12 December)
    body = _rss("<item><title>A</title><guid isPermaLink='false'>12</guid></item>")
    assert fastfeedparser.parse(body).entries[0].get("published")
    assert parse_fast_syndication(body, FEED_URL, None) is None  # feedparser reads it
    assert parse_feed(body, url=FEED_URL).entries[0].published is None
    dated = _rss(
        "<item><title>A</title><guid isPermaLink='false'>12</guid>"
        "<pubDate>Thu, 13 Feb 2025 19:18:38 +0000</pubDate></item>"
    )
    fast = parse_fast_syndication(dated, FEED_URL, None)
    assert fast is not None and fast.entries[0].published == datetime(
        2025, 2, 13, 19, 18, 38, tzinfo=UTC
    )
    assert fastfeedparser.main._parse_date is feedparser_date  # no dateutil, no dateparser


@pytest.mark.parametrize(
    "written",
    [
        "Thu, 13 Feb 2025 19:18:38 +0000",
        "Thu, 13 Feb 2025 19:18:38 GMT",
        "Thu, 13 Feb 2025 19:18:38 EST",
        "Thu, 13 Feb 2025 19:18:38 PDT",
        "13 Feb 2025 19:18 +0530",
        "Thu, 13 Feb 2025 19:18:38",
        "2025-02-13T17:10:27Z",
        "2025-02-13T17:10:27.123456+02:00",
        "2025-02-13T17:10:27-0800",
        "2025-02-13 17:10:27",
        "2025-02-13",
        "Thursday, February 13, 2025",
        "13/02/2025",
        "not a date",
    ],
)
def test_dates_are_the_same_aware_utc_on_both_paths(written: str) -> None:
    body = _rss(
        f"<item><title>A</title><link>https://news.example.org/a</link>"
        f"<pubDate>{written}</pubDate></item>"
    )
    fast = parse_fast_syndication(body, FEED_URL, None)
    assert fast is not None
    old = parse_syndication_feed(body, FEED_URL, None)
    assert fast.entries[0].published == old.entries[0].published
    published = fast.entries[0].published
    assert published is None or published.tzinfo is UTC


def test_scripts_are_dropped_from_summaries_on_the_fast_path() -> None:
    body = _rss(
        "<item><title>A</title><link>https://news.example.org/a</link>"
        "<description><![CDATA[<p>Lead</p><script>alert('x')</script><style>p{}</style>"
        "<iframe src='https://evil.example/'>frame</iframe>]]></description></item>"
        "<item><title>B</title><link>https://news.example.org/b</link>"
        "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'><![CDATA["
        "<p>Body</p><SCRIPT type='text/javascript'>steal()</SCRIPT><noscript>no</noscript>"
        "]]></content:encoded></item>"
    )
    feed = parse_fast_syndication(body, FEED_URL, None)
    assert feed is not None
    assert [entry.summary for entry in feed.entries] == ["Lead", "Body"]


def test_ill_formed_documents_are_repaired_and_say_so() -> None:
    body = _rss(
        "<item><title>Re&colon; Caf&eacute; &amp; bar & grill</title>"
        "<link>https://news.example.org/a?x=1&y=2</link>"
        "<description>Control\x07 character &#x7;</description></item>"
    )
    feed = parse_fast_syndication(body, FEED_URL, None)
    assert feed is not None and feed.problem is not None
    entry = feed.entries[0]
    assert entry.title == "Re: Café & bar & grill"
    assert entry.link == "https://news.example.org/a?x=1&y=2"
    assert entry.summary == "Control character"


def test_a_byte_order_mark_keeps_the_feed_title() -> None:
    # fastfeedparser's extractor hands back a header shifted by the mark's three bytes
    body = b"\xef\xbb\xbf" + _rss("<item><title>A</title><link>https://x.example/a</link></item>")
    feed = parse_fast_syndication(body, FEED_URL, None)
    assert feed is not None and (feed.title, feed.link) == ("Desk", "https://news.example.org/")


@pytest.mark.parametrize(
    "body",
    [
        # cut off: feedparser says where it stopped
        _rss("<item><title>A</title></item>")[:-20],
        # a DOCTYPE that declares entities
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss version="2.0"><channel>'
        b"<title>&x;</title><item><title>A</title></item></channel></rss>",
        # Atom 0.3
        b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>T</title><entry>'
        b"<title>A</title></entry></feed>",
        # a server charset that contradicts the document's
        _rss("<item><title>A</title></item>", declaration='<?xml version="1.0" encoding="utf-8"?>'),
    ],
)
def test_legacy_shapes_go_to_feedparser(body: bytes) -> None:
    content_type = "application/xml; charset=iso-8859-1" if b"utf-8" in body[:60] else None
    assert parse_fast_syndication(body, FEED_URL, content_type) is None
    parse_feed(body, url=FEED_URL, content_type=content_type)  # feedparser reads it


def test_youtube_entries_keep_their_thumbnail_and_description() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns:yt="http://www.youtube.com/xml/'
        b'schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/'
        b'2005/Atom"><title>Channel</title><link rel="alternate" href="https://www.youtube.com/'
        b'channel/UC1"/><entry><id>yt:video:abc</id><title>Video</title><link rel="alternate" '
        b'href="https://www.youtube.com/watch?v=abc"/><published>2026-02-17T22:30:01+00:00'
        b"</published><media:group><media:title>Video</media:title><media:content url="
        b'"https://www.youtube.com/v/abc" type="application/x-shockwave-flash"/>'
        b'<media:thumbnail url="https://i1.ytimg.com/vi/abc/hqdefault.jpg"/>'
        b"<media:description>Line one\n\nLine two</media:description></media:group></entry></feed>"
    )
    fast = parse_fast_syndication(body, FEED_URL, None)
    assert fast is not None
    entry = fast.entries[0]
    assert entry.image_url == "https://i1.ytimg.com/vi/abc/hqdefault.jpg"
    assert entry.summary == "Line one\nLine two"
    assert (entry.guid, entry.link) == ("yt:video:abc", "https://www.youtube.com/watch?v=abc")
    assert fast == parse_syndication_feed(body, FEED_URL, None)


def test_guids_are_read_as_feedparser_reads_them() -> None:
    body = _rss(
        # a relative permalink guid is resolved, and is the link of an item without one
        "<item><title>A</title><guid>/posts/1</guid></item>"
        # a guid that is no permalink stays as written, and is no link
        "<item><title>B</title><guid isPermaLink='false'>/posts/2</guid></item>"
        # a guid equal to the link is a guid
        "<item><title>C</title><link>https://news.example.org/c</link>"
        "<guid>https://news.example.org/c</guid></item>"
        # no guid: fastfeedparser's copy of the link is not one
        "<item><title>D</title><link>https://news.example.org/d</link></item>"
        # a tag: guid is kept, and is no link
        "<item><title>E</title><guid>tag:news.example.org,2026:5</guid></item>"
    )
    fast = parse_fast_syndication(body, FEED_URL, None)
    assert fast is not None
    assert [(entry.guid, entry.link) for entry in fast.entries] == [
        ("https://news.example.org/posts/1", "https://news.example.org/posts/1"),
        ("/posts/2", None),
        ("https://news.example.org/c", "https://news.example.org/c"),
        (None, "https://news.example.org/d"),
        ("tag:news.example.org,2026:5", None),
    ]
    assert fast == parse_syndication_feed(body, FEED_URL, None)


def test_the_fast_path_is_what_parse_feed_uses() -> None:
    body = _rss(
        "<ttl>45</ttl><item><title>A &amp; B</title><link>https://news.example.org/a</link>"
        "<pubDate>Thu, 13 Feb 2025 19:18:38 +0000</pubDate><author>desk@news.example.org "
        "(Mira Okafor)</author><category>Harbour</category>"
        "<enclosure url='https://news.example.org/a.jpg' type='image/jpeg' length='1'/></item>"
    )
    fast = parse_fast_syndication(body, FEED_URL, None)
    assert fast is not None and parse_feed(body, url=FEED_URL) == fast
    entry = fast.entries[0]
    assert (fast.ttl_minutes, entry.title, entry.author, entry.categories) == (
        45, "A & B", "Mira Okafor", ("Harbour",)
    )
    assert entry.published == datetime(2025, 2, 13, 19, 18, 38, tzinfo=UTC)
    assert entry.image_url == "https://news.example.org/a.jpg"
    assert fast == parse_syndication_feed(body, FEED_URL, None)
