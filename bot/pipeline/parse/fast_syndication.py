"""RSS, Atom and RDF read by fastfeedparser (``fast_reading``) and mapped to the plain data
feedparser's path (``syndication``) gives, dozens of times faster.

Rules:

- The result is the ``ParsedFeed`` feedparser's path gives, field by field, or better
  (``tests/pipeline/parse/test_fast_path.py`` compares the two over the shared corpora and
  lists every difference left, with why). Where fastfeedparser reads a feed differently,
  feedparser's rules are applied here: a permalink guid (``isPermaLink`` absent or "true",
  every Atom id) is resolved like a link and is the link of an entry that has none;
  fastfeedparser's copy of the link as a missing id is no guid; an Atom entry's link is its
  last HTML alternate; RSS titles that look like HTML are HTML, Atom text follows its
  ``type``; an RSS author's e-mail address is dropped beside a name; a UTF-8 document's
  double-encoded text and C1 controls are repaired (``feedparser_text``); thumbnails,
  keywords, media descriptions and RDF's ``content:encoded`` come from ``item_extras``.
- Whatever cannot be decided cheaply and surely returns None, and feedparser reads the
  document: ``xml:base`` on an element whose links resolve (not content or summary) where a
  URL is relative; Atom text elements of one kind with different types, inline XHTML or
  base64; markup in child elements of a description or of Atom content, an XHTML
  ``<body>``, a ``<fullitem>``, a link given as text; guids that do not line up with their
  items; items fastfeedparser does not see; a date that may be the guid's (feedparser never
  reads one there).
- Facts about the document's bytes are looked for only when an entry needs them, once, and
  only where the entries being cleaned are when a poll cleans some of them
  (``_Document.locate_cleaned``).
- With ``known_keys``, the stored entries are recognised first, by their key as a regular
  document gives it (``_EntryMapper.recognise_stored``, no search of the document) and are
  done; the others are keyed exactly, mapped, dated and cleaned (``_MappedEntry``), but for
  those without guid or link whose title and summary, their key, show them stored.
- Text is cleaned by ``field_cleaning`` as on feedparser's path (fastfeedparser keeps
  ``<script>`` in bodies; the cleaning drops it).
- Of a document listing more than ``max_items`` items, the newest are mapped, chosen by
  ``newest.keep_newest`` from the dates fastfeedparser read (it reads every item natively,
  far faster than the lxml cut feedparser's path needs).
"""

from __future__ import annotations

import contextlib
import html
import re
from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from html.entities import entitydefs
from typing import Any
from urllib.parse import urljoin

from feedparser.html import _cp1252 as feedparser_cp1252
from feedparser.sanitizer import _HTMLSanitizer

from bot.pipeline.parse.entry_keys import content_key, identity_keys
from bot.pipeline.parse.fast_reading import (
    DocumentRead,
    feedparser_date,
    read_document,
    synthesized_description,
)
from bot.pipeline.parse.field_cleaning import (
    absolute_http_url,
    entry_categories,
    first_image_source,
    plain_text,
    sane_date,
    summary_text,
    tidy_text,
)
from bot.pipeline.parse.item_extras import ItemExtras, ItemsExtras, read_item_extras
from bot.pipeline.parse.newest import keep_newest
from bot.pipeline.parse.records import ParsedEntry, ParsedFeed

__all__ = ["looks_like_html", "parse_fast_syndication"]


class _NeedsFeedparser(Exception):
    """This document has a shape the fast path does not read as feedparser does."""


_HTML_CLOSE_OR_ENTITY = re.compile(r"</\w+>|&#?\w+;")
_HTML_TAG_NAME = re.compile(r"</?(\w+)")
_ENTITY_NAME = re.compile(r"&(\w+);")
_ACCEPTABLE_ELEMENTS = frozenset(_HTMLSanitizer.acceptable_elements)


def looks_like_html(text: str) -> bool:
    """feedparser's guess that an RSS text element holds HTML (it errs on plain text)."""
    if ("<" not in text and "&" not in text) or not _HTML_CLOSE_OR_ENTITY.search(text):
        return False
    if any(tag.lower() not in _ACCEPTABLE_ELEMENTS for tag in _HTML_TAG_NAME.findall(text)):
        return False
    return all(name in entitydefs for name in _ENTITY_NAME.findall(text))


_AUTHOR_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)


def _author_name(author: str) -> str:
    """feedparser's reading of an RSS author: the name beside an e-mail address, else it."""
    found = _AUTHOR_EMAIL.search(author) if "@" in author else None
    if not found:
        return author
    name = author.replace(found.group(0), "").replace("()", "").replace("<>", "")
    name = name.replace("&lt;&gt;", "").strip()
    if name.startswith("("):
        name = name[1:]
    if name.endswith(")"):
        name = name[:-1]
    return name.strip() or author


_C1_CONTROL = re.compile("[\x80-\x9f]")


def feedparser_text(text: str) -> str:
    """A UTF-8 document's text as feedparser reads it: text that is UTF-8 read as Latin-1
    (double-encoded) decoded once more, and C1 controls read as the Windows-1252 characters
    they stand for."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(feedparser_cp1252) if _C1_CONTROL.search(text) else text


def _iso_to_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.microsecond:
        moment = moment.replace(microsecond=0)  # feedparser's dates have whole seconds
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# A CDATA section or a comment, to its first end, written out rather than as a lazy ``.*?``
# (which the regex engine steps through a character at a time: ten times slower on big
# documents).
_CDATA_OR_COMMENT = rb"!\[CDATA\[[^\]]*(?:\](?!\]>)[^\]]*)*\]\]>|!--[^-]*(?:-(?!->)[^-]*)*-->"
# Atom's text types as feedparser names them; CDATA sections and comments are matched (and
# skipped) so the HTML in them is not read as elements.
_ATOM_TEXT = re.compile(
    rb"<(?:" + _CDATA_OR_COMMENT + rb"|(title|summary|subtitle|content)\b([^>]*)>)"
)
_TYPE_ATTRIBUTE = re.compile(rb"""\stype\s*=\s*["']([^"']*)["']""")
_BASE64_MODE = re.compile(rb"""\smode\s*=\s*["']base64["']""")
_ATOM_MIME = {"text": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}


def _atom_text_types(body: bytes, start: int, end: int) -> dict[bytes, str]:
    """The one MIME type of each Atom text element (title, summary, subtitle, content)
    between ``start`` and ``end``; raise when elements of one kind differ, or hold inline
    XHTML or base64."""
    types: dict[bytes, str] = {}
    for match in _ATOM_TEXT.finditer(body, start, end):
        name, attributes = match.group(1), match.group(2)
        if name is None:
            continue
        declared = _TYPE_ATTRIBUTE.search(attributes)
        kind = declared.group(1).decode("ascii", "replace").lower() if declared else "text"
        kind = _ATOM_MIME.get(kind, kind)
        textual = kind.startswith("text/") or kind.endswith(("+xml", "/xml"))
        if not textual or "xhtml" in kind or _BASE64_MODE.search(attributes):
            raise _NeedsFeedparser
        if types.setdefault(name, kind) != kind:
            raise _NeedsFeedparser
    return types


_CONTENT_WITH_ELEMENTS = re.compile(rb"<content(?:\s[^>]*)?(?<!/)>\s*<(?!!\[CDATA\[|/)")
_DESCRIPTION_WITH_ELEMENTS = re.compile(rb"<description(?:\s[^>]*)?(?<!/)>\s*<(?!!\[CDATA\[|/)")
_TEXT_LINK = re.compile(rb"<link(?:\s[^>]*)?(?<!/)>\s*[^<\s]")
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_EXTRA_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_HTTP = ("http://", "https://")
_GUID = re.compile(rb"<guid\b([^>]*?)(?:/>|>(.*?)</guid\s*>)", re.S)
_PERMALINK = re.compile(rb"""\sisPermaLink\s*=\s*["']([^"']*)["']""", re.I)
_CDATA = re.compile(rb"<!\[CDATA\[(.*?)\]\]>", re.S)
_RSS_LINK = re.compile(rb"<link\s*>\s*(?:<!\[CDATA\[\s*)?[^<\s]")
_ATOM_ID = re.compile(
    rb"<(?:" + _CDATA_OR_COMMENT
    + rb"|source\b[^<]*(?:<(?!/source\s*>)[^<]*)*</source\s*>|(id\s*>))"
)
_RDF_ITEM_ABOUT = re.compile(rb"<(?:[\w.-]+:)?item\b[^>]*\srdf:about\s*=")
_ITEM_START = re.compile(rb"<(?:item|entry)[\s>]")
# An entry's start tag, CDATA sections and comments matched (and skipped) on the way.
_ENTRY_START = re.compile(rb"<(?:" + _CDATA_OR_COMMENT + rb"|(entry)[\s/>])")
_RSS_ITEM_START = re.compile(rb"<(?:" + _CDATA_OR_COMMENT + rb"|(item)[\s/>])")
# What marks Atom text that only feedparser reads: inline XHTML, base64.
_INLINE_MARKS = (b"xhtml", b"base64")
_UNPLAIN = frozenset("&<>\"'")
_ITEM_ENDS = (b"</item>", b"</entry>")
# An element's start tag (not content's or summary's: xml:base there changes no link that
# feedparser's path resolves), up to its first letter.
_LINK_ELEMENT_START = re.compile(rb"<(?!content\b|summary\b)[A-Za-z_]")
_XML_BASE_VALUE = re.compile(rb"""\sxml:base\s*=\s*["']([^"']*)["']""")
_TTL = re.compile(rb"<ttl\s*>\s*([^<]*?)\s*</ttl\s*>")
_ITUNES_IMAGE = re.compile(rb"""<itunes:image\b[^>]*\shref\s*=\s*["']([^"']*)["']""")
_MEDIA_NAMESPACE = b"search.yahoo.com/mrss"
_ITUNES_NAMESPACES = (b"itunes.com/dtds", b"itunes.com/DTDs")
_EXTRA_TAGS = (b"keywords>", b"itunes:category", b"media:category")
MAX_TTL_MINUTES = 24 * 60
_SYNTHESIZED_LENGTH = 512  # fastfeedparser makes no description longer


# What ``\s`` matches in a bytes pattern.
_WHITESPACE = frozenset(b" \t\n\r\x0b\x0c")


def _sets_link_base(body: bytes, start: int, end: int | None = None) -> bool:
    """Whether an element from ``start`` on (to ``end``; but content and summary) sets
    ``xml:base``: a "<", a name, no ">", then whitespace, ``xml:base``, optional whitespace
    and "=" (the pattern ``<(?!content\\b|summary\\b)[A-Za-z_][\\w:.-]*\\b[^>]*?\\sxml:base\\s*=``
    did this, trying every "<" of the document; each ``xml:base`` is found by
    ``bytes.find`` and its tag looked at instead)."""
    position = start
    while (at := body.find(b"xml:base", position, len(body) if end is None else end)) >= 0:
        position = at + 1
        equals = at + 8
        while equals < len(body) and body[equals] in _WHITESPACE:
            equals += 1
        if (
            at - 3 < start or body[at - 1] not in _WHITESPACE
            or equals >= len(body) or body[equals] != 0x3D
        ):
            continue  # not "<" + a name + "\sxml:base\s*=" after ``start``
        # Its tag opens after the last ">" before it; a name needs one byte and the space.
        floor = max(body.rfind(b">", start, at - 1) + 1, start)
        while (opening := body.find(b"<", floor, at - 2)) >= 0:
            if _LINK_ELEMENT_START.match(body, opening):
                return True
            floor = opening + 1
    return False


def _is_plain(value: object) -> bool:
    """Whether a value fastfeedparser read is written in the document as it is: ASCII
    without characters XML escapes."""
    return (
        isinstance(value, str) and bool(value) and value.isascii()
        and not _UNPLAIN.intersection(value)
    )


def _element_text(raw: bytes | None) -> str:
    """The text of an element's raw content: CDATA unwrapped, references decoded."""
    if not raw:
        return ""
    if b"<![CDATA[" in raw:
        raw = _CDATA.sub(
            lambda found: html.escape(found.group(1).decode("utf-8", "replace"), quote=False)
            .encode("utf-8"),
            raw,
        )
    return html.unescape(raw.decode("utf-8", "replace")).strip()


@dataclass(frozen=True)
class _Guid:
    """One RSS item's guid, as feedparser reads it."""

    text: str
    permalink: bool


@dataclass(frozen=True)
class _Located:
    """Where the entries being cleaned are: positions ``first`` to ``last``, from ``start``
    to ``end`` (the next entry's start tag, or the last entry's end tag); ``items_start``:
    where the first item of the document starts."""

    first: int
    last: int
    items_start: int
    start: int
    end: int


@dataclass
class _Document:
    """Facts about a read document that some entries need, each found once, when first
    needed."""

    read: DocumentRead
    feed_url: str
    _found: dict[bytes, bool] = field(default_factory=dict)
    _found_in_region: dict[bytes, bool] = field(default_factory=dict)
    _located: _Located | None = None

    def holds(self, needle: bytes) -> bool:
        """Whether the document's bytes hold ``needle``."""
        found = self._found.get(needle)
        if found is None:
            found = self._found[needle] = needle in self.read.body
        return found

    @property
    def cleaned_region(self) -> tuple[int, int] | None:
        """Where the entries being cleaned are, when they are not all the entries and could
        be located surely (``locate_cleaned``); the facts only their reading needs are looked
        for there alone. None: everywhere, as for an eager parse."""
        located = self._located
        return None if located is None else (located.start, located.end)

    def cleaned_hold(self, needle: bytes) -> bool:
        """Whether the entries being cleaned hold ``needle`` (with no region: the document)."""
        if self.cleaned_region is None:
            return self.holds(needle)
        found = self._found_in_region.get(needle)
        if found is None:
            found = self.read.body.find(needle, *self.cleaned_region) >= 0
            self._found_in_region[needle] = found
        return found

    def cleaned_search(self, pattern: re.Pattern[bytes]) -> bool:
        """Whether ``pattern`` matches in the entries being cleaned (or the document)."""
        start, end = self.cleaned_region or (0, len(self.read.body))
        return pattern.search(self.read.body, start, end) is not None

    def locate_cleaned(self, positions: list[int]) -> None:
        """Note where the entries at ``positions`` (in document order) are, when they are
        not all the entries: from the first one's start tag to the next entry's, found by
        counting item start tags from the first item (CDATA sections and comments skipped;
        an entry's tags cannot hide in attribute values), for RSS and Atom. Each must hold
        its own id or link as fastfeedparser read it, or nothing is noted."""
        entries = self.read.entries
        if not positions or len(positions) == len(entries) or self.read.kind == "rdf":
            return
        first, last = positions[0], positions[-1]
        start, end = self.items_region
        starts: list[int] = []
        pattern = _ENTRY_START if self.read.kind == "atom" else _RSS_ITEM_START
        for found in pattern.finditer(self.read.body, start, end):
            if found.group(1) is not None:
                starts.append(found.start())
                if len(starts) > last + 1:
                    break
        if len(starts) <= last or (len(starts) == last + 1 and last + 1 != len(entries)):
            return  # fewer start tags than entries: not the items fastfeedparser read
        starts.append(end)
        body = self.read.body
        for position in positions:
            item = entries[position]
            mark = next(
                (value for value in (item.get("link"), item.get("id")) if _is_plain(value)),
                None,
            )
            own_start, own_end = starts[position], starts[position + 1]
            if mark is None or body.find(mark.encode("ascii"), own_start, own_end) < 0:
                return
        self._located = _Located(first, last, starts[0], starts[first], starts[last + 1])

    @property
    def _fact_span(self) -> tuple[int, int, int, int]:
        """(start, end, first position, last position) of the items whose facts are looked
        for: those from the first to the last entry being cleaned when located, else all."""
        located = self._located
        if located is not None:
            return located.start, located.end, located.first, located.last
        return (*self.items_region, 0, len(self.read.entries) - 1)

    @cached_property
    def root_base(self) -> str:
        """The feed's URL, or the root element's ``xml:base`` resolved against it."""
        body, start = self.read.body, self.read.root_start
        root_end = body.find(b">", start) + 1
        on_root = _XML_BASE_VALUE.search(body, start, root_end)
        if on_root is None:
            return self.feed_url
        return urljoin(self.feed_url, html.unescape(on_root.group(1).decode("utf-8", "replace")))

    @cached_property
    def base(self) -> str:
        """The URL relative links resolve against (``root_base``); raise when another
        element (but content and summary) sets ``xml:base`` before the items or among those
        whose facts are looked for (``_fact_span``), since feedparser's path then resolves
        each element its own way."""
        body, root_start = self.read.body, self.read.root_start
        root_end = body.find(b">", root_start) + 1
        spans = (
            [(root_start, len(body))] if self.cleaned_region is None
            else [(root_start, self.items_region[0]), self.cleaned_region]
        )
        if all(body.find(b"xml:base", start, end) < 0 for start, end in spans):
            return self.feed_url
        if any(_sets_link_base(body, max(start, root_end), end) for start, end in spans):
            raise _NeedsFeedparser
        return self.root_base

    def url(self, value: object) -> str | None:
        """An absolute http(s) URL, relative ones resolved against ``base``."""
        if not isinstance(value, str):
            return None
        return absolute_http_url(value, self.feed_url if value.startswith(_HTTP) else self.base)

    def regular_url(self, value: str) -> str | None:
        """``url`` as a regular document reads it: relative ones resolved against
        ``root_base``, whatever other element sets ``xml:base``."""
        base = self.feed_url if value.startswith(_HTTP) else self.root_base
        return absolute_http_url(value, base)

    @cached_property
    def items_region(self) -> tuple[int, int]:
        """Where the items are: from the first item's start to the last one's end."""
        body = self.read.body
        first = _ITEM_START.search(body)
        # The document's own kind of item end is found near the end; the other kind is then
        # looked for only after it (a search from the end through a whole big document for
        # an end tag it does not hold is most of the time this takes).
        own, other = _ITEM_ENDS[::-1] if self.read.kind == "atom" else _ITEM_ENDS
        last = body.rfind(own)
        last = max(last, body.rfind(other, max(last, 0)))
        return (first.start(), last) if first is not None and last > first.start() else (0, 0)

    @cached_property
    def rss_guids(self) -> dict[int, _Guid]:
        """Each RSS entry's guid by position (entries without one are absent): the non-empty
        guid elements in document order, matched to the entries whose id they are; raise
        when they do not line up."""
        start, end, first, last = self._fact_span
        guids = []
        for attributes, raw in _GUID.findall(self.read.body, start, end):
            if text := _element_text(raw):
                declared = _PERMALINK.search(attributes)
                guids.append(_Guid(text, declared is None or declared.group(1) == b"true"))
        matched: dict[int, _Guid] = {}
        pointer = 0
        entries = self.read.entries
        for position in range(first, last + 1):
            if (
                pointer < len(guids)
                and str(entries[position].get("id") or "").strip() == guids[pointer].text
            ):
                matched[position] = guids[pointer]
                pointer += 1
        if pointer != len(guids):
            raise _NeedsFeedparser
        return matched

    @cached_property
    def every_rss_item_has_a_link(self) -> bool:
        """Whether every RSS item (of ``_fact_span``) has a non-empty ``<link>``; raise when
        only some have."""
        start, end, first, last = self._fact_span
        if len(_RSS_LINK.findall(self.read.body, start, end)) == last - first + 1:
            return True
        raise _NeedsFeedparser

    @cached_property
    def atom_ids_are_real(self) -> bool:
        """Whether every Atom entry's id is its own (not fastfeedparser's copy of its link):
        one id element per entry (those of ``<source>`` aside); False when no entry has one;
        raise when only some have (of the entries of ``_fact_span``)."""
        start, end, first, last = self._fact_span
        body = self.read.body
        if body.find(b"<source", start, end) < 0:
            found = body.count(b"<id>", start, end)
        else:  # a <source> names the entry's origin with an id of its own
            found = sum(1 for own in _ATOM_ID.findall(body, start, end) if own)
        if found == last - first + 1:
            return True
        if found == 0:
            return False
        raise _NeedsFeedparser

    @cached_property
    def rdf_ids_are_real(self) -> bool:
        found = len(_RDF_ITEM_ABOUT.findall(self.read.body))
        if found == len(self.read.entries):
            return True
        if found == 0:
            return False
        raise _NeedsFeedparser

    @cached_property
    def atom_text_types(self) -> dict[bytes, str]:
        """The MIME types of the entries' Atom text elements (title, summary, content) and
        of the feed's title (``b"feed title"``)."""
        start, end = self.cleaned_region or self.items_region
        types = _atom_text_types(self.read.body, start, end)
        header = self.read.header
        types[b"feed title"] = _atom_text_types(header, 0, len(header)).get(
            b"title", "text/plain"
        )
        return types

    def text_type(self, name: bytes, value: str) -> str:
        """The MIME type feedparser gives a text element: Atom's declared type (looked up
        only when it matters: the text holds markup or references); for RSS and RDF, HTML
        when it looks like HTML."""
        if self.read.kind != "atom":
            return "text/html" if looks_like_html(value) else "text/plain"
        if "<" not in value and ("&" not in value or html.unescape(value) == value):
            return "text/plain"  # read as HTML it would be the same text
        return self.atom_text_types.get(name, "text/plain")

    def atom_content_type(self, declared: str) -> str:
        """The MIME type of an Atom entry's content from the type fastfeedparser reports,
        which says "text/html" both for ``type="text/html"`` and for no type (text)."""
        kind = _ATOM_MIME.get(declared, declared)
        if declared == "text/html" and (
            self.cleaned_hold(b'type="text/html"') or self.cleaned_hold(b"type='text/html'")
        ):
            kind = self.atom_text_types.get(b"content", "text/plain")
        elif declared == "text/html":
            kind = "text/plain"
        if "xhtml" in kind or not (kind.startswith("text/") or kind.endswith(("+xml", "/xml"))):
            raise _NeedsFeedparser  # inline XHTML or base64
        return kind

    @cached_property
    def head(self) -> bytes:
        """The root element's opening, where namespaces are declared."""
        return self.read.body[self.read.root_start : self.read.root_start + 4096]

    @cached_property
    def declares_media(self) -> bool:
        """Whether the document declares the Media RSS namespace."""
        return _MEDIA_NAMESPACE in self.head

    @cached_property
    def wants_extras(self) -> bool:
        """Whether every entry needs its extras: RDF's content:encoded, or tags that only
        ``item_extras`` reads."""
        if self.read.kind == "rdf":
            return True
        if not self.declares_media and not any(n in self.head for n in _ITUNES_NAMESPACES):
            return False
        return any(self.cleaned_hold(tag) for tag in _EXTRA_TAGS)

    @cached_property
    def extras(self) -> ItemsExtras:
        """The extras of the items (``item_extras``): only of those where the entries being
        cleaned are, when that part of the document, closed as the document is, reads."""
        if self._cleaned_items is not None:
            first, last, sub_document = self._cleaned_items
            extras = read_item_extras(sub_document, last - first + 1, first)
            if extras is not None:
                return extras
        extras = read_item_extras(self.read.body, len(self.read.entries))
        if extras is None:
            raise _NeedsFeedparser
        return extras

    @property
    def _cleaned_items(self) -> tuple[int, int, bytes] | None:
        """(first, last position, the document with only the items from the first to the
        last) of the entries being cleaned, when located."""
        located = self._located
        if located is None:
            return None
        body, end = self.read.body, located.end
        close = self.items_region[1]
        tail = close + len(_ITEM_ENDS[1] if self.read.kind == "atom" else _ITEM_ENDS[0])
        if end == close:  # the last item: up to and with its end tag
            end = tail
        sub_document = body[: located.items_start] + body[located.start : end] + body[tail:]
        return located.first, located.last, sub_document


class _MappedEntry:
    """One entry not recognised as stored: first keyed (``_EntryMapper.identified``); then
    mapped as far as the fast path's decisions need (``_EntryMapper.complete``); then, unless
    its title and summary are its key and a stored one (``read``), dated, and its text cleaned
    (``cleaned``), the costly part (summaries are HTML read into text)."""

    def __init__(
        self, mapper: _EntryMapper, position: int, item: dict[str, Any], *,
        guid: str | None, link: str | None,
    ) -> None:
        self.mapper = mapper
        self.position = position
        self.item = item
        self.guid = guid
        self.link = link
        self.extras: ItemExtras | None = None
        self.content_html: str | None = None
        self.summary_source: tuple[str, str] | None = None
        self.title = ""
        self.title_type = "text/plain"

    @cached_property
    def summary(self) -> str:
        if self.summary_source is None:
            return ""
        value, kind = self.summary_source
        return summary_text(value, kind, self.mapper.text)

    @property
    def plain_title(self) -> str:
        """The title as plain text."""
        return plain_text(self.title, self.title_type) if self.title else ""

    def read(self, known_keys: Container[str]) -> ParsedEntry:
        """The entry cleaned; or, when it has neither guid nor link and its key (a hash of
        its title and summary) is in ``known_keys``, as a stored one with those two."""
        if self.guid is None and self.link is None and known_keys:
            title = self.plain_title
            if content_key(title, self.summary) in known_keys:
                return ParsedEntry.stored(None, None, title, self.summary)
        return self.cleaned()

    def cleaned(self) -> ParsedEntry:
        """The whole entry, every text field cleaned."""
        mapper, item, extras = self.mapper, self.item, self.extras
        document = mapper.document
        published = sane_date(mapper.published(item), mapper.now)
        image_url = mapper.image(item, self.content_html, extras)
        if image_url is None and extras is None and document.declares_media:
            # fastfeedparser drops the thumbnails beside a media:content
            image_url = mapper.image(item, self.content_html, document.extras[self.position])
        author = mapper.text(item.get("author") or "")
        if author and mapper.kind != "atom":
            author = _author_name(author)
        tags: Iterable[object] = (
            extras.tags if extras is not None and mapper.document.wants_extras
            else (tag.get("label") or tag.get("term") for tag in item.get("tags") or ())
        )
        if mapper.text is feedparser_text:
            tags = [feedparser_text(tag) if isinstance(tag, str) else tag for tag in tags]
        return ParsedEntry(
            guid=self.guid,
            link=self.link,
            title=self.plain_title,
            summary=self.summary,
            content_html=self.content_html,
            published=published,
            author=plain_text(author, "text/plain") or None,
            image_url=image_url,
            categories=entry_categories(tags),
        )


class _EntryMapper:
    """Maps fastfeedparser's entries to ``ParsedEntry``, as ``syndication`` maps
    feedparser's."""

    def __init__(self, document: _Document, now: datetime) -> None:
        self.document = document
        self.now = now
        self.kind = document.read.kind
        # feedparser reads a UTF-8 document's text with two repairs (``feedparser_text``):
        # made here to short fields whole, and to the part of a body a summary reads (so a
        # long body is not read through for them).
        self.text = feedparser_text if document.read.encoding_is_utf8 else str

    def identified(self, position: int, item: dict[str, Any]) -> _MappedEntry:
        """An entry's guid and link, read exactly (raise when the fast path would not read
        them as feedparser does): what keys it."""
        guid, link = self.identity(position, item)
        if self.kind == "rss" and not guid and not link and (
            self.document.cleaned_hold(b"<link href") or self.document.cleaned_hold(b"<id>")
        ):
            raise _NeedsFeedparser  # Atom's elements in RSS, which only feedparser reads
        return _MappedEntry(self, position, item, guid=guid, link=link)

    def complete(self, mapped: _MappedEntry) -> _MappedEntry:
        """Map the rest of an entry as far as deciding whether the fast path reads it as
        feedparser does needs (raise when not); its text is cleaned by
        ``_MappedEntry.cleaned``."""
        position, item = mapped.position, mapped.item
        document = self.document
        text = self.text
        extras = document.extras[position] if document.wants_extras else None
        contents = item.get("content")
        content = contents[0] if contents else None
        if extras is not None and extras.encoded_content is not None:
            content = {"type": "text/html", "value": extras.encoded_content}
        description = item.get("description") or ""
        content_html: str | None = None
        if (
            content is not None and not content.get("value") and self.kind == "atom"
            and document.cleaned_search(_CONTENT_WITH_ELEMENTS)
        ):
            raise _NeedsFeedparser  # content in child elements, which only feedparser reads
        if content is not None and (raw := content.get("value") or ""):
            content_value = raw.strip()
            if self.kind == "atom":
                content_kind = document.atom_content_type(content.get("type") or "text/html")
            else:
                content_kind = content.get("type") or "text/html"
            if (
                description and len(description) <= _SYNTHESIZED_LENGTH
                and description == synthesized_description(raw)
            ):
                description = ""  # fastfeedparser's, made up from the content
            if "html" in content_kind and (self.kind == "atom" or content_value != description):
                content_html = content_value  # RSS content that is the description is not
        else:
            content_value, content_kind = "", "text/html"
        summary_source: tuple[str, str] | None = None
        if description:
            summary_kind = (
                "text/html" if self.kind != "atom"
                else document.text_type(b"summary", description)
            )
            if content_html is None and "html" in summary_kind:
                content_html = description
            summary_source = (description, summary_kind)
        elif content_value:
            summary_source = (content_value, content_kind)
        mapped.extras, mapped.content_html = extras, content_html
        mapped.summary_source = summary_source
        if content_html is None and not mapped.summary:
            if (
                document.cleaned_hold(b"body>") or document.cleaned_hold(b"fullitem>")
                or document.cleaned_search(_DESCRIPTION_WITH_ELEMENTS)
            ):
                # an XHTML <body>, a <fullitem> or markup in a description that is not text:
                # only feedparser reads those
                raise _NeedsFeedparser
            if document.declares_media:
                extras = extras or document.extras[position]
                if extras.media_description:
                    mapped.content_html = text(extras.media_description)
                    mapped.summary = summary_text(mapped.content_html, "text/html")
        title = item.get("title") or ""
        if title:
            title = text(title)
            mapped.title_type = document.text_type(b"title", title)
        mapped.title = title
        return mapped

    def recognise_stored(
        self, positions: list[int], known_keys: Container[str]
    ) -> dict[int, tuple[str | None, str | None]]:
        """The (guid, link) of each entry at ``positions`` whose key is in ``known_keys``, by
        position (the link None when the guid is the key). RSS and Atom entries are keyed as
        a regular document reads them (``regular_readings``: relative links resolved against
        the root's ``xml:base`` or the feed's URL, whatever other element sets one), with no
        search of the document; RDF's exactly."""
        if self.kind == "rdf":
            identified = [self.identified(n, self.document.read.entries[n]) for n in positions]
            pairs = [(entry.guid, entry.link) for entry in identified]
            return {
                n: (guid, None if key.startswith("guid:") else link)
                for n, (guid, link), key in zip(
                    positions, pairs, identity_keys(pairs), strict=True
                )
                if key is not None and key in known_keys
            }
        entries = self.document.read.entries
        plans = [self.regular_readings(entries[n]) for n in positions]
        firsts = [self.regular_guid(*plan[1][0]) for plan in plans]
        guid_counts = Counter(tidy for _, tidy in firsts if tidy)
        stored: dict[int, tuple[str | None, str | None]] = {}
        for position, (link, readings), first in zip(positions, plans, firsts, strict=True):
            unique = first[1] is not None and guid_counts[first[1]] == 1
            for number, (read, permalink) in enumerate(readings):
                value, guid = first if number == 0 else self.regular_guid(read, permalink)
                if guid and unique:  # the guid is the key: the link is not needed
                    if f"guid:{guid}" in known_keys:
                        stored[position] = (guid, None)
                        break
                    continue
                own_link = link or (value if permalink else "")
                resolved = self.document.regular_url(own_link) if own_link else None
                if resolved and f"link:{resolved}" in known_keys:
                    stored[position] = (guid, resolved)
                    break
        return stored

    def regular_readings(self, item: dict[str, Any]) -> tuple[str, tuple[tuple[str, bool], ...]]:
        """An RSS or Atom entry's link and the readings of its id, (id, whether it is a
        permalink), as ``identity`` reads them when the document is regular: where
        ``identity`` would look the document through (an id equal to the link, which may be
        fastfeedparser's copy of it; an RSS guid whose ``isPermaLink`` decides whether it is
        resolved like a link), each reading, the likelier first."""
        guid = (item.get("id") or "").strip()
        link = (item.get("link") or "").strip()
        copied = bool(guid) and guid == link  # may be fastfeedparser's copy of the link
        if self.kind == "atom":
            link = _atom_link(item.get("links") or ())
            return link, ((guid, True), ("", True)) if copied else ((guid, True),)
        if copied:  # a permalink guid equal to the link, a guid that is not, or no guid
            return link, ((guid, True), (guid, False), ("", False))
        if guid and not _HAS_SCHEME.match(guid):  # an id, or a relative permalink
            return link, ((guid, False), (guid, True))
        return link, ((guid, False),)

    def regular_guid(self, read: str, permalink: bool) -> tuple[str, str | None]:
        """An id as read (a permalink resolved like a link, against the root's ``xml:base``
        or the feed's URL, whatever other element sets one) and as the entry's guid."""
        value = read
        if value and permalink and (
            not _HAS_SCHEME.match(value) or (
                value[:6].lower().startswith(("http:", "https:"))
                and absolute_http_url(value, self.document.feed_url) != value
            )
        ):
            value = _feedparser_urljoin(self.document.root_base, value)
        return value, (tidy_text(value) or None) if value else None

    def identity(self, position: int, item: dict[str, Any]) -> tuple[str | None, str | None]:
        """The entry's guid and link, by feedparser's rules: a guid without a scheme is
        resolved like a link unless it is no permalink, and a permalink guid is the link of
        an entry that has none."""
        document = self.document
        guid = (item.get("id") or "").strip()
        link = (item.get("link") or "").strip()  # fastfeedparser's (which it copies as id)
        if guid and guid == link and self.kind != "rss" and not (
            document.atom_ids_are_real if self.kind == "atom" else document.rdf_ids_are_real
        ):
            guid = ""
        if self.kind == "atom":
            link = _atom_link(item.get("links") or ())
            if not link and document.cleaned_hold(b"</link>") and (
                document.cleaned_search(_TEXT_LINK)
            ):
                raise _NeedsFeedparser  # a link given as text, which only feedparser reads
        relative = bool(guid) and not _HAS_SCHEME.match(guid)
        permalink = self.kind == "atom"
        if self.kind == "rss" and guid and (guid == link or relative):
            rss_guid = document.rss_guids.get(position)
            if rss_guid is None:
                guid = "" if guid == link else guid  # fastfeedparser's copy of the link
            else:
                permalink = rss_guid.permalink
                if link == guid and not permalink and not document.every_rss_item_has_a_link:
                    link = ""  # fastfeedparser copies an http guid into a missing link
        if guid and permalink and (  # resolved like a link, as feedparser resolves it
            relative or (
                guid[:6].lower().startswith(("http:", "https:"))
                and absolute_http_url(guid, document.feed_url) != guid
            )
        ):
            guid = _feedparser_urljoin(document.base, guid)
        if not link and guid and permalink:
            link = guid
        return (tidy_text(guid) or None) if guid else None, document.url(link) if link else None

    def published(self, item: dict[str, Any]) -> datetime | None:
        published = _iso_to_datetime(item.get("published"))
        guid = item.get("id") or ""
        # fastfeedparser reads an undated RSS or RDF item's guid as its date.
        if published is not None and self.kind != "atom" and guid and not guid.startswith(_HTTP):
            from_guid = feedparser_date(guid)
            if from_guid is not None and _iso_to_datetime(from_guid) == published:
                raise _NeedsFeedparser  # the date may be the guid's, which feedparser ignores
        return published

    def image(
        self, item: dict[str, Any], content_html: str | None, extras: ItemExtras | None
    ) -> str | None:
        """The entry's picture: enclosure, media:thumbnail, media:content, then the first
        ``<img>`` of its body; the first that is an http(s) URL."""
        url = self.document.url
        for enclosure in item.get("enclosures") or ():
            if str(enclosure.get("type", "")).startswith("image/") and (
                found := url(enclosure.get("url"))
            ):
                return found
        if extras is not None:
            for candidate in (*extras.thumbnails, *extras.media_images):
                if found := url(candidate):
                    return found
        else:
            media = item.get("media_content") or ()
            for medium in media:
                if found := url(medium.get("thumbnail_url")):
                    return found
            for medium in media:
                if (
                    medium.get("medium") == "image"
                    or str(medium.get("type", "")).startswith("image/")
                ) and (found := url(medium.get("url"))):
                    return found
        return url(first_image_source(content_html)) if content_html else None


def _feedparser_urljoin(base: str, uri: str) -> str:
    """Resolve ``uri`` against ``base`` as feedparser does (extra slashes after the scheme
    dropped; an unreadable URL becomes empty)."""
    try:
        return urljoin(base, _EXTRA_SLASHES.sub(r"\1\3", uri))
    except ValueError:
        return ""


_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


def _atom_link(links: Iterable[dict[str, Any]]) -> str:
    """An Atom entry's link as feedparser picks it: the last link that is an alternate
    (``rel`` absent or "alternate") of an HTML type (``type`` absent or HTML)."""
    chosen = ""
    for link in links:
        href = link.get("href")
        if href and (link.get("rel") or "alternate") == "alternate" and (
            (link.get("type") or "text/html").lower() in _HTML_TYPES
        ):
            chosen = href.strip()
    return chosen


def _ttl_minutes(header: bytes) -> int | None:
    found = _TTL.search(header)
    if found is None:
        return None
    text = found.group(1).decode("ascii", "replace")
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) > 6:
        return MAX_TTL_MINUTES
    number = int(text)
    return min(number, MAX_TTL_MINUTES) if number > 0 else None


def _feed(document: _Document, entries: tuple[ParsedEntry, ...], listed: int) -> ParsedFeed:
    read = document.read
    feed = read.feed
    title = feed.get("title") or ""
    image = feed.get("image") or {}
    header = read.header or read.body[: document.items_region[0]]
    itunes_image = _ITUNES_IMAGE.search(header)
    icon = None
    for candidate in (
        feed.get("icon"), image.get("url"),
        itunes_image.group(1).decode("utf-8", "replace") if itunes_image else None,
        feed.get("logo"),
    ):
        if icon := document.url(candidate):
            break
    link = feed.get("link")
    if read.kind == "atom":  # feedparser's rule for entries, with the feed's id as theirs
        link = _atom_link(feed.get("links") or ()) or (
            _feedparser_urljoin(document.base, feed["id"]) if feed.get("id") else None
        )
    return ParsedFeed(
        title=plain_text(title, document.text_type(b"feed title", title)) if title else "",
        link=document.url(link),
        entries=entries,
        ttl_minutes=_ttl_minutes(header) if read.kind == "rss" else None,
        icon_url=icon,
        problem=read.problem,
        listed_items=listed,
    )


def parse_fast_syndication(
    body: bytes, url: str, content_type: str | None, max_items: int | None = None,
    known_keys: Container[str] = frozenset(),
) -> ParsedFeed | None:
    """Read RSS, Atom or RDF with fastfeedparser and map it as feedparser's path would; None
    when the document needs feedparser (see the rules). An entry whose key is in
    ``known_keys`` is not cleaned (``ParsedEntry.known``)."""
    read = read_document(body, content_type)
    if read is None:
        return None
    listed = len(read.entries)
    positions: Iterable[int] = range(listed)
    if max_items is not None and listed > max_items:  # the newest, chosen as ``newest`` does
        dates = [
            (_iso_to_datetime(item.get("published")), n) for n, item in enumerate(read.entries)
        ]
        positions = sorted(keep_newest(dates, max_items))
    document = _Document(read, url)
    mapper = _EntryMapper(document, datetime.now(UTC))
    try:
        if not read.entries and document.items_region != (0, 0):
            raise _NeedsFeedparser  # items fastfeedparser does not see (RSS 0.90 and such)
        positions = list(positions)
        stored = mapper.recognise_stored(positions, known_keys) if known_keys else {}
        new = [n for n in positions if n not in stored]
        document.locate_cleaned(new)
        identified = {n: mapper.identified(n, read.entries[n]) for n in new}
        if read.kind == "atom" and any(
            document.cleaned_hold(needle) or needle in read.header for needle in _INLINE_MARKS
        ):
            document.atom_text_types  # noqa: B018 - raises on inline XHTML or base64 text
        entries = tuple(
            ParsedEntry.stored(*stored[n]) if n in stored
            else mapper.complete(identified[n]).read(known_keys)
            for n in positions
        )
        return _feed(document, entries, listed)
    except _NeedsFeedparser:
        return None
