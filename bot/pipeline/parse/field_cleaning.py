"""Clean raw field values from feeds into plain, safe values (text, URLs, dates).

Rules: text loses invisible characters (controls, zero-width, bidi overrides) and runs of
whitespace; HTML becomes text with scripts, styles, frames, objects and comments dropped and
block elements turned into paragraph breaks; URLs are absolute http(s) or None; dates are
aware UTC, and a date more than two days in the future is treated as absent rather than
trusted. Every feed's every entry goes through here, so each step is a few C-level passes
(regular expressions, ``str`` methods), never a Python loop over characters or tags.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urljoin, urlsplit

from bot.core.text import INVISIBLE_CHARACTERS

FUTURE_DATE_TOLERANCE = timedelta(days=2)
# A summary is a teaser (Discord shows at most 4,096 characters of it): reading stops once
# about this much text is collected, so a huge full-text item costs no more than a short one.
SUMMARY_TEXT_LIMIT = 6_000
_IMG_SRC = re.compile(
    r"""<(?i:img)\b[^>]*?\s(?i:src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))"""
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


MAX_CATEGORIES = 10
CATEGORY_LIMIT = 100


def entry_categories(values: Iterable[object]) -> tuple[str, ...]:
    """Return an item's categories as plain text: each once (whatever its case), in the
    feed's order, at most ``MAX_CATEGORIES`` of ``CATEGORY_LIMIT`` characters (a feed may
    list hundreds)."""
    seen: dict[str, None] = {}
    folded: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            continue
        text = tidy_text(value)[:CATEGORY_LIMIT]
        if text and (key := text.casefold()) not in folded:
            seen[text] = None
            folded.add(key)
            if len(seen) == MAX_CATEGORIES:
                break
    return tuple(seen)


# HTML becomes text by a few C-level regular-expression passes, not a Python tokenizer (the
# parsing of a feed would otherwise spend most of its time here): hidden elements and
# comments go, <br> becomes a line break, block tags paragraph breaks, other tags nothing,
# then references are decoded. A start tag's attributes may quote ">". Every pattern starts
# with a literal "<" and matches tag names case-insensitively only after it, so the regex
# engine skips straight from one "<" to the next.
_ATTRIBUTES = r"""[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*"""


def _names(names: Iterable[str]) -> str:
    """An alternation of tag names, grouped by first letter (the regex engine then tries one
    group, not every name, at each "<"), longest first within a group."""
    groups: dict[str, list[str]] = {}
    for name in sorted(names, key=len, reverse=True):
        groups.setdefault(name[0], []).append(re.escape(name[1:]))
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in sorted(groups.items()))


_DROPPED_NAMES = _names(_DROPPED_TAGS)
_HIDDEN_START = re.compile(r"<(?:!--|(?i:" + _DROPPED_NAMES + r")\b)")
_HIDDEN = re.compile(
    r"<(?:!--.*?(?:-->|\Z)|((?i:" + _DROPPED_NAMES + r"))\b"
    + _ATTRIBUTES + r"(?<!/)>.*?(?:</(?i:\1)\s*>|\Z))",
    re.S,
)
# Every match starts "<br" in some case (no other character folds to "b" or "r"), looked
# for with ``in`` first: passes far quicker than the pattern's.
_LINE_BREAK_TAG = re.compile(r"<(?i:br)\b" + _ATTRIBUTES + ">")
_BLOCK_TAG = re.compile(r"</?(?i:" + _names(_BLOCK_TAGS) + r")\b" + _ATTRIBUTES + ">")
_ANY_TAG = re.compile(r"<(?:/?[a-zA-Z]" + _ATTRIBUTES + r"|![^>]*|\?[^>]*)>")
# Marks a paragraph break while tags are replaced: U+FFFF is no character XML can hold.
_BREAK = "\uffff"
_SPACE_RUN = re.compile("  +")
_OTHER_SPACES = re.compile(r"[\t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE_OR_OTHER_SPACE = re.compile(
    "[" + _INVISIBLE.pattern[1:-1] + _OTHER_SPACES.pattern[1:-2] + "]"
)
_AROUND_LINE_BREAK = re.compile(r"[ \u1680\u2028\u2029]*\n\s*")
_LINE_BREAKS = re.compile(r"\n\n+")
_REPEATED_BREAKS = re.compile(r"\uffff\uffff+")
_AROUND_BREAK = re.compile(r"\s*\uffff[\s\uffff]*")


def _markup_to_text(html: str, *, hides: bool = True) -> str:
    """Replace an HTML fragment's markup: paragraph marks for block tags, line breaks for
    ``<br>``, nothing for other tags, hidden elements and comments; decode references.
    ``hides=False``: the caller found no hidden element or comment in it."""
    if "<" in html:
        if hides and _HIDDEN_START.search(html):
            html = _HIDDEN.sub("", html)
        if "<br" in html or "<BR" in html or "<Br" in html or "<bR" in html:
            html = _LINE_BREAK_TAG.sub("\n", html)
        html = _BLOCK_TAG.sub(_BREAK, html)
        html = _ANY_TAG.sub("", html)
    return unescape(html) if "&" in html else html


def tidy_text(text: str) -> str:
    """Remove invisible characters and collapse whitespace into single spaces."""
    if text.isascii() and text.isprintable():  # no invisible character, no space but " "
        if "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text
        return " ".join(text.split())
    return " ".join(_INVISIBLE.sub("", text).split())


def tidy_paragraph(text: str) -> str:
    """Collapse spaces inside each line of a paragraph and drop empty lines."""
    return _tidy_paragraphs(text.replace(_BREAK, ""))


def _tidy_paragraphs(text: str) -> str:
    """Tidy a text whose paragraphs are marked: in each line spaces collapse, line ends lose
    theirs, empty lines go; paragraphs end up separated by blank lines, empty ones dropped."""
    if _INVISIBLE_OR_OTHER_SPACE.search(text):  # most texts have neither: one pass, not two
        text = _OTHER_SPACES.sub(" ", _INVISIBLE.sub("", text))
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    # Whitespace that str.strip() removes at line ends but that is no space to collapse.
    rare = not text.isascii() and ("\u1680" in text or "\u2028" in text or "\u2029" in text)
    if "\n" in text:
        if rare:
            text = _AROUND_LINE_BREAK.sub("\n", text)
        else:
            text = _LINE_BREAKS.sub("\n", text.replace(" \n", "\n").replace("\n ", "\n"))
    if _BREAK in text:
        if rare:
            text = _AROUND_BREAK.sub(_BREAK, text)
        else:
            text = text.replace(" " + _BREAK, _BREAK).replace(_BREAK + " ", _BREAK)
            text = text.replace("\n" + _BREAK, _BREAK).replace(_BREAK + "\n", _BREAK)
            text = _REPEATED_BREAKS.sub(_BREAK, text)
        text = text.strip().strip(_BREAK).replace(_BREAK, "\n\n")
    return text.strip()


def html_to_text(
    html: str, *, enough: int | None = None, repair: Callable[[str], str] = str
) -> str:
    """Return the plain text of an HTML fragment, paragraphs separated by blank lines.

    With ``enough``, only an opening part is read: piece by piece (each cut after a ">",
    and past any hidden element it opens) until about that many characters of text were
    collected. ``repair`` is applied to the (raw) part read.
    """
    if enough is None or len(html) <= enough:
        return _tidy_paragraphs(_markup_to_text(repair(html)))
    pieces: list[str] = []
    collected = start = 0
    while True:
        if start >= len(html):
            break
        if collected > enough:
            text = _tidy_paragraphs("".join(pieces))
            if len(text) > enough:
                return text
            collected = len(text)  # spaces went: read on
        end = html.rfind(">", start, start + enough) + 1
        if end <= start or start + enough >= len(html):
            end = min(len(html), start + enough)
        hidden = _HIDDEN_START.search(html, start, end)
        hidden_found = hidden is not None
        while hidden is not None:  # a hidden element or comment may run past the cut
            whole = _HIDDEN.match(html, hidden.start())
            found_end = whole.end() if whole is not None else hidden.end()
            end = max(end, found_end)
            hidden = _HIDDEN_START.search(html, found_end, end)
        raw = html[start:end]
        repaired = repair(raw)
        # A repair leaves ASCII as it is, but may change what "\b" sees after a tag name.
        piece = _markup_to_text(repaired, hides=hidden_found or repaired is not raw)
        pieces.append(piece)
        collected += len(piece)
        start = end
    return _tidy_paragraphs("".join(pieces))


def summary_text(
    value: str | None, content_type: str | None, repair: Callable[[str], str] = str
) -> str:
    """Return the plain-text summary of a (possibly HTML) body, from its opening part;
    ``repair`` is applied to the raw part read."""
    if not value:
        return ""
    if content_type is None or "html" in content_type:
        return html_to_text(value, enough=SUMMARY_TEXT_LIMIT, repair=repair)
    return tidy_paragraph(repair(value[: SUMMARY_TEXT_LIMIT * 2]))


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


# An absolute http(s) URL that ``urljoin`` and ``tidy_text`` would leave as it is: ASCII, no
# whitespace or control characters, a host, no brackets, and no empty query, fragment or
# parameters (which ``urljoin`` drops).
_PLAIN_HTTP_URL = re.compile(r"https?://[^/?#\s\[\]\x00-\x1f\x7f]+(?:[/?#][^\s\[\]\x00-\x1f\x7f]*)?")


def absolute_http_url(value: object, base: str) -> str | None:
    """Resolve ``value`` against ``base``; return it when it is an http(s) URL, else None."""
    if not isinstance(value, str):
        return None
    if (
        value.isascii() and _PLAIN_HTTP_URL.fullmatch(value)
        and not value.endswith(("?", "#", ";"))
        and "?#" not in value and ";?" not in value and ";#" not in value
    ):
        return value
    if not value.strip():
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
