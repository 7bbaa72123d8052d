"""Clean raw field values from feeds into plain, safe values (text, URLs, dates).

Rules: text loses invisible characters (controls, zero-width, bidi overrides) and runs of
whitespace; HTML becomes text with scripts and styles dropped and block elements turned into
paragraph breaks; URLs are absolute http(s) or None; dates are aware UTC, and a date more
than two days in the future is treated as absent rather than trusted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from bot.core.text import INVISIBLE_CHARACTERS

FUTURE_DATE_TOLERANCE = timedelta(days=2)
# A summary is a teaser (Discord shows at most 4,096 characters of it): reading stops once
# about this much text is collected, so a huge full-text item costs no more than a short one.
SUMMARY_TEXT_LIMIT = 6_000
_HTML_PIECE = 4_096
_IMG_SRC = re.compile(
    r"""<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE
)

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_DROPPED_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object"})
# Tab and newline are kept here and tidied later.
_INVISIBLE = INVISIBLE_CHARACTERS
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


MAX_CATEGORIES = 10
CATEGORY_LIMIT = 100


def entry_categories(values: Iterable[object]) -> tuple[str, ...]:
    """Return an item's categories as plain text: each once, in the feed's order, at most
    ``MAX_CATEGORIES`` of ``CATEGORY_LIMIT`` characters (a feed may list hundreds)."""
    seen: dict[str, None] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        text = " ".join(plain_text(value, "text/plain").split())[:CATEGORY_LIMIT]
        if text and text.casefold() not in {known.casefold() for known in seen}:
            seen[text] = None
        if len(seen) == MAX_CATEGORIES:
            break
    return tuple(seen)


class _TextExtractor(HTMLParser):
    """Collect the visible text of an HTML fragment, paragraph by paragraph."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[str]] = [[]]
        self._dropping = 0
        self.collected = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_TAGS:
            self._dropping += 1
        elif tag == "br":
            self.paragraphs[-1].append("\n")
        elif tag in _BLOCK_TAGS:
            self.paragraphs.append([])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _DROPPED_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_TAGS:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCK_TAGS:
            self.paragraphs.append([])

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.paragraphs[-1].append(data)
            self.collected += len(data)


def tidy_text(text: str) -> str:
    """Remove invisible characters and collapse whitespace into single spaces."""
    return " ".join(_INVISIBLE.sub("", text).split())


def tidy_paragraph(text: str) -> str:
    """Collapse spaces inside each line of a paragraph and drop empty lines."""
    lines = (_SPACES.sub(" ", line).strip() for line in _INVISIBLE.sub("", text).split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(html: str, *, enough: int | None = None) -> str:
    """Return the plain text of an HTML fragment, paragraphs separated by blank lines.

    With ``enough``, reading stops once about that many characters of text were collected.
    """
    extractor = _TextExtractor()
    try:
        for start in range(0, len(html), _HTML_PIECE):
            extractor.feed(html[start : start + _HTML_PIECE])
            if enough is not None and extractor.collected > enough:
                break
        extractor.close()
    except (AssertionError, ValueError):  # HTMLParser can choke on hostile markup.
        return tidy_text(unescape(re.sub(r"<[^>]*>", " ", html)))
    paragraphs = (tidy_paragraph("".join(parts)) for parts in extractor.paragraphs)
    return "\n\n".join(p for p in paragraphs if p)


def summary_text(value: str | None, content_type: str | None) -> str:
    """Return the plain-text summary of a (possibly HTML) body, from its opening part."""
    if not value:
        return ""
    if content_type is None or "html" in content_type:
        return html_to_text(value, enough=SUMMARY_TEXT_LIMIT)
    return tidy_paragraph(value[: SUMMARY_TEXT_LIMIT * 2])


def first_image_source(html: str | None) -> str | None:
    """Return the ``src`` of the first ``<img>`` in an HTML fragment, if any."""
    match = _IMG_SRC.search(html) if html else None
    return unescape(match.group(1) or match.group(2) or match.group(3)) if match else None


def plain_text(value: str | None, content_type: str | None = "text/html") -> str:
    """Return a one-line plain text for a feed text construct."""
    if not value:
        return ""
    if content_type and "html" in content_type:
        value = html_to_text(value)
    return tidy_text(value)


def absolute_http_url(value: object, base: str) -> str | None:
    """Resolve ``value`` against ``base``; return it when it is an http(s) URL, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        resolved = urljoin(base, tidy_text(value))
        parts = urlsplit(resolved)
    except ValueError:
        return None
    return resolved if parts.scheme in ("http", "https") and parts.netloc else None


def sane_date(when: datetime | None, now: datetime) -> datetime | None:
    """Return ``when`` in UTC unless it is absurdly far in the future."""
    if when is None:
        return None
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return None if when > now + FUTURE_DATE_TOLERANCE else when


def first_present(candidates: Iterable[str | None]) -> str | None:
    """Return the first candidate that is not None or empty."""
    return next((c for c in candidates if c), None)


def first_date(dates: Iterable[datetime | None]) -> datetime | None:
    """Return the first date that is not None."""
    return next((d for d in dates if d is not None), None)
