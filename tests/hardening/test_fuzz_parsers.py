"""Property-based fuzzing of every parser that reads text someone else wrote.

Each property is time-boxed for CI (``FUZZ_EXAMPLES``, default modest; set the environment
variable ``NEWSDESK_FUZZ_EXAMPLES`` to run deeper locally) and each example has a deadline,
so a hang or a quadratic blow-up fails the test instead of stalling CI.

Contracts checked:
- ``parse_feed`` raises nothing but ``FeedParseError``, in bounded time and memory;
- ``extract_article`` never raises, in bounded time;
- ``normalise_url`` never raises and is idempotent;
- ``read_opml`` raises nothing but ``InvalidInput``;
- ``declared_feeds`` never raises and returns only absolute http(s) URLs, at most ten;
- ``parse_command_line`` raises nothing but ``CommandLineError``;
- ``Settings.from_environment`` raises nothing but ``InvalidInput``;
- ``article_embed`` stays within Discord's embed limits for any strings.
"""

from __future__ import annotations

import contextlib
import json
import os
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app.settings import Settings
from bot.core.errors import FeedParseError, InvalidInput
from bot.core.models import Article
from bot.discord_io.embeds import card_embed
from bot.features.feeds.discovery import MAX_CANDIDATES, declared_feeds
from bot.features.feeds.opml import read_opml
from bot.pipeline.deliver.cards import article_card
from bot.pipeline.parse import parse_feed
from bot.pipeline.read.extraction import extract_article
from bot.pipeline.story.copies import normalise_url
from bot.sandbox.fake_discord import CommandLineError, parse_command_line
from bot.sandbox.fake_discord.message_limits import message_body_errors

FUZZ_EXAMPLES = int(os.environ.get("NEWSDESK_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW_FUZZ = settings(FUZZ, max_examples=max(10, FUZZ_EXAMPLES // 3))
FEED_URL = "https://fuzz.example/feed.xml"
MEMORY_LIMIT_BYTES = 64 * 1024 * 1024

# ---------------------------------------------------------------- documents, as fragments

XML_FRAGMENTS = [
    "<?xml version='1.0'?>", "<?xml version='1.0' encoding='utf-16'?>",
    "<?xml version='1.0' encoding='x-nonsense'?>", "<?xml version='1.1'?>",
    "<rss version='2.0'>", "</rss>", "<rss version='0.91'>", "<channel>", "</channel>",
    "<item>", "</item>", "<title>", "</title>", "<link>", "</link>", "<guid>", "</guid>",
    "<guid isPermaLink='true'>", "<description>", "</description>", "<pubDate>",
    "</pubDate>", "<ttl>", "</ttl>", "<feed xmlns='http://www.w3.org/2005/Atom'>", "</feed>",
    "<entry>", "</entry>", "<link href='", "'/>", "<link rel='alternate' href='/x'/>",
    "<updated>", "</updated>", "<content type='html'>", "</content>", "<summary>",
    "</summary>", "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'"
    " xmlns='http://purl.org/rss/1.0/'>", "</rdf:RDF>", "<![CDATA[", "]]>", "&amp;", "&lt;",
    "&#0;", "&#xD800;", "&#x10FFFF;", "&#99999999;", "&nbsp;", "&undefined;", "&#x202E;",
    "<!DOCTYPE rss [<!ENTITY e 'eeeeeeeeee'>]>", "&e;", "<!-- -->", "<script>", "</script>",
    "<media:content url='javascript:alert(1)'/>", "<enclosure url='data:,x' type='image/png'/>",
    "xml:base='//evil.example/'", "https://", "javascript:", "@everyone", "\u200b",
    "\u202e", "\ufeff", "\x00", "\x1b", "Mon, 99 Foo 2026 25:61:61 +9999",
    "2026-13-45T99:99:99Z", "9999-12-31T23:59:59Z", "0000-00-00", "<", ">", "'", '"', "/",
]
JSON_FRAGMENTS = [
    '{"version": "https://jsonfeed.org/version/1.1", ', '"items": [', "]", "{", "}", ",",
    '"title": ', '"url": ', '"id": ', '"date_published": ', '"content_html": ',
    '"authors": [{"name": ', '"attachments": [{"mime_type": "image/png", "url": ', "null",
    "1e999", "-0", "[]", "{}", "true", '"\\ud800"', '"\\u0000"', '"javascript:alert(1)"',
    '"2026-02-30T10:00:00Z"', '"https://fuzz.example/a"', '"@everyone"',
]
CONTENT_TYPES = [
    None, "application/rss+xml", "application/atom+xml", "text/xml; charset=utf-16",
    "application/json", "application/feed+json", "text/html; charset=shift_jis",
    "application/octet-stream", "text/plain; charset=nonsense", "",
]
ENCODINGS = ["utf-8", "utf-16", "latin-1", "utf-32", "cp1252"]


def fragment_documents(fragments: list[str]) -> st.SearchStrategy[str]:
    """Documents made of syntax fragments and arbitrary text, in any order."""
    piece = st.one_of(st.sampled_from(fragments), st.text(max_size=40))
    return st.lists(piece, max_size=60).map("".join)


@st.composite
def feed_bodies(draw: st.DrawFn) -> bytes:
    """A feed-like (or JSON-Feed-like, or plain garbage) body in some encoding."""
    kind = draw(st.sampled_from(["xml", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    text = draw(fragment_documents(XML_FRAGMENTS if kind == "xml" else JSON_FRAGMENTS))
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, "replace")


def wrapped_rss(title: str, link: str, description: str) -> bytes:
    """A well-formed RSS document carrying arbitrary (escaped) text in its fields."""

    def clean(text: str) -> str:
        # XML 1.0 cannot carry these code points even escaped; hostile feeds still try.
        return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)

    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(clean(title))}</title><link>{escape(clean(link))}</link>"
        f"<item><title>{escape(clean(title))}</title><link>{escape(clean(link))}</link>"
        f"<description>{escape(clean(description))}</description></item>"
        "</channel></rss>"
    ).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- the feed parser


@FUZZ
@given(body=feed_bodies(), content_type=st.sampled_from(CONTENT_TYPES))
@example(body=b"", content_type=None)
@example(body=b"\xff\xfe\x00", content_type="application/json")
@example(body=b'{"version": "https://jsonfeed.org/version/1", "items": {}}',
         content_type="application/feed+json")
@example(body=b'{"version": "https://jsonfeed.org/version/1", "items": [1, "x", null]}',
         content_type=None)
@example(body=b"<item>&#99999999;", content_type=None)  # found by this test in CI
@example(body=b"<item>&#xD800;", content_type=None)
def test_parse_feed_raises_only_feed_parse_error(body: bytes, content_type: str | None) -> None:
    try:
        parsed = parse_feed(body, url=FEED_URL, content_type=content_type)
    except FeedParseError as error:
        assert error.message
        return
    for entry in parsed.entries:
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        assert "\u202e" not in entry.title and "\x00" not in entry.title


@FUZZ
@given(title=st.text(max_size=300), link=st.text(max_size=200),
       description=st.text(max_size=500))
def test_parse_feed_cleans_any_text_in_a_well_formed_feed(
    title: str, link: str, description: str
) -> None:
    try:
        parsed = parse_feed(wrapped_rss(title, link, description), url=FEED_URL)
    except FeedParseError:
        return
    for entry in parsed.entries:
        for bad in ("\u202e", "\u200b", "\x00", "\ufeff"):
            assert bad not in entry.title
        assert entry.link is None or entry.link.startswith(("http://", "https://"))


@SLOW_FUZZ
@given(body=feed_bodies())
def test_parse_feed_memory_is_bounded(body: bytes) -> None:
    tracemalloc.start()
    try:
        with contextlib.suppress(FeedParseError):
            parse_feed(body * 20, url=FEED_URL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT_BYTES


# ---------------------------------------------------------------- pages and discovery

HTML_FRAGMENTS = [
    "<!doctype html>", "<html>", "</html>", "<head>", "</head>", "<body>", "</body>",
    "<article>", "</article>", "<p>", "</p>", "<h1>", "</h1>", "<script>", "</script>",
    "<style>", "</style>", "<meta property='article:published_time' content='",
    "<meta name='author' content='", "'>", "<link rel='canonical' href='",
    "<link rel='alternate' type='application/rss+xml' href='", "<base href='",
    "<script type='application/ld+json'>", '{"@type": "NewsArticle", "datePublished": ',
    '"author": {"name": ', "“", "”", " said ", "Mr. ", "Dr. ", "<time datetime='",
    "2026-11-20T08:30:00+00:00", "javascript:", "http://[::1", "https://a.example/",
    "//evil.example/feed", "\u202e", "\u200b", "@everyone", "<@&123>", "<a href='", "</a>",
    "<table>", "<tr><td>", "<!--", "-->", "<![CDATA[", "&#x0;", "&amp;", "<", ">",
]


@SLOW_FUZZ
@given(page=fragment_documents(HTML_FRAGMENTS), as_bytes=st.booleans(),
       url=st.sampled_from([None, "https://fuzz.example/a/b.html", "not a url", "http://[::1"]))
@example(page="", as_bytes=False, url=None)
@example(page="<p>" + "“quote ” said X. " * 200 + "</p>", as_bytes=True, url=None)
def test_extract_article_never_raises(page: str, as_bytes: bool, url: str | None) -> None:
    html: str | bytes = page.encode("utf-8", "surrogatepass") if as_bytes else page
    extracted = extract_article(html, url=url)
    assert len(extracted.summary) <= 2000


@FUZZ
@given(page=fragment_documents(HTML_FRAGMENTS), as_bytes=st.booleans(),
       page_url=st.sampled_from(["https://fuzz.example/a/b.html", "http://x", "", "::::"]))
def test_declared_feeds_never_raises(page: str, as_bytes: bool, page_url: str) -> None:
    html: str | bytes = page.encode("utf-8", "surrogatepass") if as_bytes else page
    found = declared_feeds(html, page_url)
    assert len(found) <= MAX_CANDIDATES
    assert len({candidate.url for candidate in found}) == len(found)
    for candidate in found:
        assert candidate.url.startswith(("http://", "https://"))


# ---------------------------------------------------------------- URL normalisation

URL_PIECES = [
    "http://", "https://", "HTTP://", "ftp://", "//", "www.", "WWW.", "Example.COM", ".",
    ":80", ":443", ":8080", ":99999", ":", "@", "user:pw@", "[::1]", "[", "]", "/", "//",
    "?", "&", "=", "#", "%2f", "%2F", "%zz", "%", "+", " ", "utm_source=x", "fbclid=1",
    "id=1", "a=", "b", "\u00e9", "xn--", "\x00", "\t", "\n", ";", "..", "~",
]


@FUZZ
@given(url=st.one_of(st.lists(st.sampled_from(URL_PIECES), max_size=16).map("".join),
                     st.text(max_size=120)))
@example(url="http://[::1")
@example(url="https://a.example:99999/")
@example(url="https://a.example/%zz?q=%zz")
def test_normalise_url_never_raises_and_is_idempotent(url: str) -> None:
    once = normalise_url(url)
    assert isinstance(once, str)
    assert normalise_url(once) == once


# ---------------------------------------------------------------- OPML

OPML_FRAGMENTS = [
    "<?xml version='1.0'?>", "<opml version='2.0'>", "</opml>", "<OPML>", "<head>", "</head>",
    "<body>", "</body>", "<outline ", "text='x' ", "title='t' ", "xmlUrl='", "xmlurl='",
    "https://fuzz.example/feed", "javascript:alert(1)", "' ", "/>", ">", "</outline>",
    "<!DOCTYPE opml [<!ENTITY a 'aaaa'>]>", "&a;", "<!ENTITY b SYSTEM 'file:///etc/passwd'>",
    "&amp;", "&#0;", "<![CDATA[", "]]>", "\u202e", "<", "'", '"',
]


@FUZZ
@given(document=st.one_of(fragment_documents(OPML_FRAGMENTS).map(
    lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=500)))
@example(document=b"<opml><body>" + b"<outline>" * 2000 + b"</body></opml>")
def test_read_opml_raises_only_invalid_input(document: bytes) -> None:
    try:
        feeds = read_opml(document)
    except InvalidInput as error:
        assert error.message
        return
    assert len({feed.url for feed in feeds}) == len(feeds)


# ---------------------------------------------------------------- typed command lines

COMMAND_PIECES = [
    "/", "feed", "add", " ", "  ", "url:", "channel:", "#news", '"', '\\"', "\\\\", "\\",
    "name:", ":", "x", "Ä", "\u200b", "\t", "@everyone", "<#1>", "-", "_",
]


@FUZZ
@given(line=st.one_of(st.lists(st.sampled_from(COMMAND_PIECES), max_size=30).map("".join),
                      st.text(max_size=200)))
def test_parse_command_line_raises_only_command_line_error(line: str) -> None:
    try:
        parsed = parse_command_line(line)
    except CommandLineError as error:
        assert str(error)
        return
    assert parsed.path


# ---------------------------------------------------------------- settings

SETTING_NAMES = [
    "DISCORD_TOKEN", "DEV_GUILD_ID", "NEWSDESK_DB", "NEWSDESK_LOG_LEVEL", "NEWSDESK_CONTACT",
    "NEWSDESK_POLL_INTERVAL", "NEWSDESK_MIN_POLL_INTERVAL", "NEWSDESK_SCHEDULER_TICK",
    "NEWSDESK_MAX_FEEDS_PER_SERVER", "NEWSDESK_PER_HOST_LIMIT",
    "NEWSDESK_ALLOW_PRIVATE_ADDRESSES",
]
SETTING_VALUES = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "60", "1e3", "0x10", "١٢٣", "1_000", "9" * 5000,
                     "true", "no", "/tmp/x.sqlite3", "relative/db", "~/db", "nan"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
            max_size=30),
)


@FUZZ
@given(environ=st.dictionaries(st.sampled_from(SETTING_NAMES), SETTING_VALUES, max_size=11))
def test_settings_from_environment_raises_only_invalid_input(environ: dict[str, str]) -> None:
    no_dotenv = Path("/nonexistent/newsdesk-hardening/.env")
    try:
        built = Settings.from_environment(environ, dotenv_path=no_dotenv)
    except InvalidInput as error:
        assert error.message
        return
    assert built.default_interval_seconds >= 60
    assert built.per_host_limit >= 1


def test_settings_database_path_of_an_unknown_user_is_invalid_input() -> None:
    no_dotenv = Path("/nonexistent/newsdesk-hardening/.env")
    with pytest.raises(InvalidInput):
        Settings.from_environment(
            {"NEWSDESK_DB": "~no-such-user-newsdesk/db.sqlite3"}, dotenv_path=no_dotenv
        )


# ---------------------------------------------------------------- formatting

ANY_TEXT = st.one_of(
    st.text(max_size=400),
    st.text(max_size=8000),
    st.sampled_from(["", " ", "\u200b", "   \n  ", "@everyone", "[x](javascript:alert(1))"]),
)
ANY_URL = st.one_of(st.none(), st.sampled_from(
    ["https://fuzz.example/a", "http://x", "javascript:alert(1)", "", "https://" + "a" * 3000]
), st.text(max_size=50))
FIELD_LIMITS = {"name": 256, "value": 1024}


def embed_problems(embed: dict[str, Any]) -> list[str]:
    """Every way an embed breaks Discord's documented limits (including empty required text)."""
    problems: list[str] = []
    limits = {"title": 256, "description": 4096}
    for key, limit in limits.items():
        if len(str(embed.get(key) or "")) > limit:
            problems.append(f"{key} longer than {limit}")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append("more than 25 fields")
    for field in fields:
        for key, limit in FIELD_LIMITS.items():
            text = str(field.get(key) or "")
            if not text.strip():
                problems.append(f"field {key} empty: {field!r}")
            if len(text) > limit:
                problems.append(f"field {key} longer than {limit}")
    author = embed.get("author")
    if author is not None:
        if not str(author.get("name") or "").strip():
            problems.append("author name empty")
        if len(str(author.get("name"))) > 256:
            problems.append("author name longer than 256")
    footer = embed.get("footer")
    if footer is not None and len(str(footer.get("text") or "")) > 2048:
        problems.append("footer longer than 2048")
    errors = message_body_errors({"embeds": [embed]})
    if errors:
        problems.append(f"sandbox: {json.dumps(errors)[:200]}")
    return problems


@st.composite
def articles(draw: st.DrawFn) -> Article:
    published = draw(st.one_of(st.none(), st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )))
    return Article(
        id=draw(st.integers(1, 2**53)),
        feed_id=1,
        entry_key="k",
        url=draw(ANY_URL),
        title=draw(ANY_TEXT),
        summary=draw(ANY_TEXT),
        author=draw(st.one_of(st.none(), ANY_TEXT)),
        image_url=draw(ANY_URL),
        published_at=published,
        first_seen_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@FUZZ
@given(article=articles(), source_name=ANY_TEXT, source_url=ANY_URL,
       original_name=st.one_of(st.none(), ANY_TEXT), original_url=ANY_URL,
       also=st.one_of(st.none(), ANY_TEXT))
def test_article_embed_fits_discord_for_any_strings(
    article: Article, source_name: str, source_url: str | None, original_name: str | None,
    original_url: str | None, also: str | None,
) -> None:
    original = None if original_name is None else (original_name, original_url)
    embed = card_embed(article_card(
        article, source_name=source_name, source_url=source_url, original=original,
        also_reported_by=also,
    )).to_dict()
    as_json: dict[str, Any] = dict(embed)
    problems = [p for p in embed_problems(as_json) if "empty" not in p]
    assert not problems, problems
    parts = [as_json.get("title"), as_json.get("description"),
             (as_json.get("footer") or {}).get("text"), (as_json.get("author") or {}).get("name")]
    total = sum(len(str(part or "")) for part in parts)
    total += sum(len(f["name"]) + len(f["value"]) for f in as_json.get("fields", []))
    assert total <= 6000


@FUZZ
@given(article=articles(), source_name=ANY_TEXT, original_name=st.one_of(st.none(), ANY_TEXT),
       also=st.one_of(st.none(), ANY_TEXT))
def test_article_embed_never_sends_blank_required_text(
    article: Article, source_name: str, original_name: str | None, also: str | None,
) -> None:
    original = None if original_name is None else (original_name, "https://fuzz.example/o")
    embed = card_embed(article_card(
        article, source_name=source_name, source_url=None, original=original,
        also_reported_by=also,
    )).to_dict()
    problems = [p for p in embed_problems(dict(embed)) if "empty" in p]
    assert not problems, problems
