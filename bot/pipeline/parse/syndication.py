"""RSS 0.9x/1.0/2.0, RDF and Atom 0.3/1.0, read by feedparser and mapped to plain data: the
documents ``fast_syndication`` hands back, and the reference it is compared with."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.core.errors import FeedParseError
from bot.pipeline.parse.field_cleaning import (
    absolute_http_url,
    entry_categories,
    first_date,
    first_image_source,
    first_present,
    plain_text,
    sane_date,
    summary_text,
    tidy_text,
)
from bot.pipeline.parse.newest import newest_items_xml
from bot.pipeline.parse.records import ParsedEntry, ParsedFeed


def _struct_to_datetime(value: object) -> datetime | None:
    """Turn feedparser's UTC ``struct_time`` into an aware datetime."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _feedparser_image(entry: Any, base: str, content_html: str | None) -> str | None:
    """Find an entry's picture: enclosure, media:thumbnail, media:content, then first <img>."""
    candidates: list[str | None] = []
    for enclosure in entry.get("enclosures", []):
        if str(enclosure.get("type", "")).startswith("image/"):
            candidates.append(enclosure.get("href"))
    for thumbnail in entry.get("media_thumbnail", []):
        candidates.append(thumbnail.get("url"))
    for media in entry.get("media_content", []):
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            candidates.append(media.get("url"))
    candidates.append(first_image_source(content_html))
    return first_present(absolute_http_url(c, base) for c in candidates)


def _feedparser_entry(entry: Any, base: str, now: datetime) -> ParsedEntry:
    """Map one feedparser entry to a ``ParsedEntry``."""
    entry_base = entry.get("title_detail", {}).get("base") or base
    contents = [c for c in entry.get("content", []) if c.get("value")]
    html_contents = [c["value"] for c in contents if "html" in str(c.get("type", "html"))]
    summary_detail = entry.get("summary_detail", {})
    summary_html = entry.get("summary") or None
    content_html = max(html_contents, key=len) if html_contents else None
    if content_html is None and summary_html and "html" in str(summary_detail.get("type", "")):
        content_html = summary_html
    if summary_html:
        summary = summary_text(summary_html, summary_detail.get("type"))
    elif contents:
        fullest = max(contents, key=lambda c: len(c["value"]))
        summary = summary_text(fullest["value"], fullest.get("type"))
    else:
        summary = ""
    title_detail = entry.get("title_detail", {})
    published = first_date(
        _struct_to_datetime(entry.get(key)) for key in ("published_parsed", "updated_parsed")
    )
    author = entry.get("author_detail", {}).get("name") or entry.get("author")
    guid = tidy_text(str(entry.get("id") or "")) or None
    return ParsedEntry(
        guid=guid,
        link=absolute_http_url(entry.get("link"), entry_base),
        title=plain_text(entry.get("title"), title_detail.get("type", "text/plain")),
        summary=summary,
        content_html=content_html,
        published=sane_date(published, now),
        author=plain_text(author, "text/plain") or None,
        image_url=_feedparser_image(entry, entry_base, content_html),
        categories=entry_categories(
            tag.get("label") or tag.get("term") for tag in entry.get("tags") or []
            if isinstance(tag, dict)
        ),
    )


def _not_a_feed_error(body: bytes, content_type: str | None) -> FeedParseError:
    """Explain, in one sentence, why a document is not a feed."""
    head = body[:2048].lstrip().lower()
    if not head:
        return FeedParseError(
            "That address returned an empty document, not a feed: check the address, "
            "or try again later if the site is having trouble."
        )
    if (content_type and "html" in content_type.lower()) or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        return FeedParseError(
            "That address returned a web page, not a feed. Try the site's feed link, or paste "
            "the page address to let Newsdesk look for one."
        )
    return FeedParseError(
        "That address did not return a feed Newsdesk can read (RSS, Atom or JSON Feed): "
        "check that it is the site's feed link."
    )


def _run_feedparser(body: bytes, url: str, content_type: str | None) -> Any:
    """Call feedparser with the HTTP context it needs to resolve relative links.

    feedparser's HTML sanitiser and its rewriting of URLs inside HTML content re-parse every
    HTML body and take two thirds of its time on real feeds, so both are off: element links
    are still resolved, and ``content_html`` is kept as the feed gave it (see the rules).

    feedparser's loose parser raises on a character reference that is no character
    (``&#99999999;``, a surrogate such as ``&#xD800;``): such references become U+FFFD and the
    document is read again, so one bad reference does not lose the whole feed.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        return feedparser.parse(
            body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except ValueError:
        repaired = _INVALID_REFERENCE.sub(_replace_invalid_reference, body)
        if repaired == body:
            raise FeedParseError(
                "That feed could not be read: it is not well-formed. Ask its publisher to fix "
                "it, or try again later."
            ) from None
        return _run_feedparser(repaired, url, content_type)


_INVALID_REFERENCE = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_MAX_CODE_POINT = 0x10FFFF
MAX_TTL_MINUTES = 24 * 60
"""The longest RSS ``<ttl>`` honoured: a day, like every wait a feed can ask for."""


def _replace_invalid_reference(match: re.Match[bytes]) -> bytes:
    """Keep a numeric character reference that names a character; else U+FFFD's."""
    hexadecimal, decimal = match.group(1), match.group(2)
    digits = (hexadecimal or decimal).lstrip(b"0") or b"0"
    if len(digits) <= 8:  # more digits are past U+10FFFF in either base
        value = int(digits, 16 if hexadecimal else 10)
        if value <= _MAX_CODE_POINT and not 0xD800 <= value <= 0xDFFF:
            return match.group(0)
    return b"&#xFFFD;"


def _without_undeclared_prefixes(body: bytes) -> bytes | None:
    """Drop element prefixes that no ``xmlns:`` declares (``<rss:item>``), or None if none."""
    declared = set(_DECLARED_PREFIX.findall(body)) | {b"xml", b"xmlns"}
    undeclared = set(_ELEMENT_PREFIX.findall(body)) - declared
    if not undeclared:
        return None
    pattern = re.compile(rb"<(/?)(?:" + b"|".join(map(re.escape, undeclared)) + rb"):")
    return pattern.sub(rb"<\1", body)


_DECLARED_PREFIX = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)\s*=")
_ELEMENT_PREFIX = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]")
_ITEM_ELEMENT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?(item|entry)[\s/>]")
# How a whole RSS, RDF or Atom document ends; an ill-formed one that does not was cut off.
_CLOSED_ROOT = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|RDF)\s*>\s*$", re.I)
# Reasons feedparser flags that say nothing about the document being ill-formed.
_HARMLESS_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


def _read_with_prefixes_repaired(body: bytes, url: str, content_type: str | None) -> Any:
    """feedparser's reading of a document, or of it without its undeclared element prefixes
    when only that finds entries (``<rss:item>``, no ``xmlns:rss``). A document whose every
    item carries an undeclared prefix is read repaired first: feedparser would find no item
    in it (it reads ``<p:item>`` as an item only when ``p`` is declared), and a second read
    of a whole document is most of the time such a feed takes."""
    as_it_is = (
        None if _every_item_prefix_undeclared(body) else _run_feedparser(body, url, content_type)
    )
    if as_it_is is None or (as_it_is.get("bozo") and not as_it_is.get("entries")):
        repaired = _without_undeclared_prefixes(body)
        if repaired is not None:
            retried = _run_feedparser(repaired, url, content_type)
            if retried.get("entries"):
                return retried
    return as_it_is if as_it_is is not None else _run_feedparser(body, url, content_type)


def _every_item_prefix_undeclared(body: bytes) -> bool:
    """Whether the document has item (or entry) elements and every one carries a prefix
    that no ``xmlns:`` declares."""
    prefixes = {prefix for prefix, _ in _ITEM_ELEMENT.findall(body)}
    if not prefixes or b"" in prefixes:
        return False
    return not prefixes & set(_DECLARED_PREFIX.findall(body))


def parse_syndication_feed(
    body: bytes, url: str, content_type: str | None, max_items: int | None = None
) -> ParsedFeed:
    """Parse RSS, RDF or Atom with feedparser, recovering what an ill-formed feed allows
    (its newest ``max_items`` items only)."""
    listed: int | None = None
    if max_items is not None:
        body, listed = newest_items_xml(body, max_items)
    result = _read_with_prefixes_repaired(body, url, content_type)
    version = result.get("version", "")
    feed = result.get("feed", {})
    if not version and not result.get("entries"):
        raise _not_a_feed_error(body, content_type)
    now = datetime.now(UTC)
    base = feed.get("title_detail", {}).get("base") or url
    entries = tuple(_feedparser_entry(entry, url, now) for entry in result.get("entries", []))
    image = feed.get("image", {})
    problem = None
    reason = result.get("bozo_exception")
    if result.get("bozo") and not isinstance(reason, _HARMLESS_BOZO):
        problem = str(reason or "the document is not well-formed")
    return ParsedFeed(
        title=plain_text(feed.get("title"), feed.get("title_detail", {}).get("type", "text/plain")),
        link=absolute_http_url(feed.get("link"), base),
        entries=entries,
        ttl_minutes=_ttl_minutes(feed.get("ttl")),
        icon_url=first_present(
            absolute_http_url(c, base)
            for c in (feed.get("icon"), image.get("href"), feed.get("logo"))
        ),
        problem=problem,
        listed_items=listed if listed is not None else len(entries),
        cut_off=problem is not None and not _CLOSED_ROOT.search(body[-400:]),
    )


def _ttl_minutes(value: object) -> int | None:
    """Return an RSS ``<ttl>`` as minutes from 1 to a day, or None when it is not a number."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) > 6:  # far more than a day (and int() refuses 4,300 digits and more)
        return MAX_TTL_MINUTES
    number = int(text)
    return min(number, MAX_TTL_MINUTES) if number > 0 else None
