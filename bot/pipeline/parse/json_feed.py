"""JSON Feed 1.0/1.1 (https://jsonfeed.org), which feedparser does not read, mapped here."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

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
from bot.pipeline.parse.newest import newest_json_items
from bot.pipeline.parse.records import ParsedEntry, ParsedFeed

# A JSON object's opening, after any byte order mark and whitespace (matched in place: a
# document is not copied to look at its first byte).
_OPENS_AN_OBJECT = re.compile(rb"[\xef\xbb\xbf \t\r\n]*\{")
JSON_FEED_VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


def _parse_iso_date(value: object) -> datetime | None:
    """Parse an RFC 3339 date as JSON Feed uses; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(document: dict[str, Any]) -> dict[str, Any]:
    """Replace lone surrogates (``"\\ud800"`` is valid JSON, but no text) by U+FFFD in
    every string of the document, so no link, key or title can fail to encode later."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return _LONE_SURROGATE.sub("\ufffd", value)
        return value

    pending: list[dict[str, Any] | list[Any]] = [document]
    while pending:  # by hand: a deeply nested document must not exhaust the stack
        container = pending.pop()
        if isinstance(container, list):
            for position, value in enumerate(container):
                if isinstance(value, dict | list):
                    pending.append(value)
                else:
                    container[position] = clean(value)
            continue
        for key, value in list(container.items()):
            if isinstance(value, dict | list):
                pending.append(value)
            if _LONE_SURROGATE.search(key):
                del container[key]
            container[clean(key)] = clean(value)
    return document


def json_feed_document(body: bytes, content_type: str | None) -> dict[str, Any] | None:
    """Return the decoded JSON Feed object if ``body`` is one; raise if it is other JSON."""
    declared_json = bool(content_type) and "json" in str(content_type).lower()
    if not declared_json and not _OPENS_AN_OBJECT.match(body):
        return None
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        if declared_json:
            raise FeedParseError(
                "That address returned damaged JSON, not a readable feed: "
                "check the address, or try again later."
            ) from None
        return None
    version = document.get("version") if isinstance(document, dict) else None
    if isinstance(version, str) and version.startswith(JSON_FEED_VERSION_PREFIXES):
        return _without_lone_surrogates(document)
    raise FeedParseError(
        "That address returned JSON data, not a feed: check that it is the site's feed link."
    )


def _json_author(item: dict[str, Any]) -> str | None:
    """Return the first author's name of a JSON Feed object (1.1 ``authors`` or 1.0 ``author``)."""
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    for author in candidates:
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            return tidy_text(author["name"]) or None
    return None


def _text_member(item: dict[str, Any], key: str) -> str | None:
    """Return a string member of a JSON object, or None when absent or not a string."""
    value = item.get(key)
    return value if isinstance(value, str) else None


def _json_entry(item: dict[str, Any], base: str, now: datetime) -> ParsedEntry:
    """Map one JSON Feed item to a ``ParsedEntry``."""
    content_html = _text_member(item, "content_html")
    if _text_member(item, "summary"):
        summary = summary_text(_text_member(item, "summary"), "text/plain")
    elif content_html:
        summary = summary_text(content_html, "text/html")
    else:
        summary = summary_text(_text_member(item, "content_text"), "text/plain")
    images: list[object] = [item.get("image"), item.get("banner_image")]
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict) and str(attachment.get("mime_type", "")).startswith(
            "image/"
        ):
            images.append(attachment.get("url"))
    images.append(first_image_source(content_html))
    published = first_date(
        _parse_iso_date(item.get(key)) for key in ("date_published", "date_modified")
    )
    guid = item.get("id")
    title = item.get("title")
    return ParsedEntry(
        guid=tidy_text(str(guid)) or None if guid is not None else None,
        link=absolute_http_url(item.get("url") or item.get("external_url"), base),
        title=plain_text(title, "text/plain") if isinstance(title, str) else "",
        summary=summary,
        content_html=content_html,
        published=sane_date(published, now),
        author=_json_author(item),
        image_url=first_present(absolute_http_url(image, base) for image in images),
        categories=entry_categories(tags if isinstance(tags := item.get("tags"), list) else []),
    )


def parse_json_feed(
    document: dict[str, Any], url: str, max_items: int | None = None
) -> ParsedFeed:
    """Map a JSON Feed document to a ``ParsedFeed`` (its newest ``max_items`` items only)."""
    items = document.get("items")
    listed = len(items) if isinstance(items, list) else 0
    if isinstance(items, list) and max_items is not None:
        items = newest_json_items(items, max_items)
    now = datetime.now(UTC)
    title = document.get("title")
    return ParsedFeed(
        title=plain_text(title, "text/plain") if isinstance(title, str) else "",
        link=absolute_http_url(document.get("home_page_url"), url),
        entries=tuple(
            _json_entry(item, url, now)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ),
        ttl_minutes=None,
        icon_url=first_present(
            absolute_http_url(document.get(key), url) for key in ("icon", "favicon")
        ),
        problem=None if isinstance(items, list) else "the JSON Feed has no items list",
        listed_items=listed,
    )
