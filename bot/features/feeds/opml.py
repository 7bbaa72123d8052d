"""OPML in and out: the feed lists other readers import and export.

Rules:
- Reading uses defusedxml: entity definitions, external references and DTDs are refused, so an
  entity-expansion bomb is an error, not a gigabyte of text.
- Every ``<outline>`` with an ``xmlUrl`` is a feed, at any depth; the nearest enclosing outline
  without one is its category. An outline with no ``xmlUrl`` and no outlines inside is a feed
  named by its site (``htmlUrl``, whose page says where its feed is), or, with no address at
  all, reported as unusable: nothing in the file is skipped silently. Non-http(s) URLs are
  reported, not followed. A URL listed twice is kept once. At most ``MAX_OUTLINES`` feeds are
  read from one file.
- Writing groups the feeds by the channel they post to (the category), sorted by title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from bot.core.errors import InvalidInput

MAX_OUTLINES = 1000
MAX_OPML_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class OpmlFeed:
    """One feed listed in an OPML file."""

    url: str
    title: str | None
    category: str | None
    from_site: bool = False
    """The outline gave only its site's address (``htmlUrl``): the feed is found there."""


@dataclass(frozen=True)
class OpmlContents:
    """What an OPML document lists: its feeds, and the outlines that name no address."""

    feeds: list[OpmlFeed]
    without_address: list[str]
    """The titles of outlines with neither ``xmlUrl`` nor ``htmlUrl`` nor outlines inside."""


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Return the feeds an OPML document lists, in document order, each URL once.

    Raises:
        InvalidInput: the file is too big, not OPML, or unsafe XML.
    """
    return read_opml_contents(data).feeds


def read_opml_contents(data: bytes) -> OpmlContents:
    """Return the feeds an OPML document lists, and the outlines it cannot use.

    Raises:
        InvalidInput: the file is too big, not OPML, or unsafe XML.
    """
    if len(data) > MAX_OPML_BYTES:
        raise InvalidInput("That OPML file is larger than 2 MB. Split it into smaller files.")
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ValueError):
        raise InvalidInput(
            "That file uses XML features Newsdesk refuses for safety (a DTD or entities). "
            "Export it again from your feed reader as plain OPML."
        ) from None
    except ElementTree.ParseError:
        raise InvalidInput(
            "That file is not readable OPML (it is not well-formed XML). Export it again "
            "from your feed reader."
        ) from None
    if root.tag.lower() != "opml" or root.find("body") is None:
        raise InvalidInput("That file is XML but not OPML: it needs <opml> with a <body>.")
    body = root.find("body")
    assert body is not None
    return _listed_feeds(body)


def _listed_feeds(body: ElementTree.Element) -> OpmlContents:
    """Walk the outlines depth first, in document order, with a stack of our own: a file
    nested thousands deep is read like any other (recursion would run out of stack)."""
    feeds: list[OpmlFeed] = []
    without_address: list[str] = []
    seen: set[str] = set()
    pending: list[tuple[ElementTree.Element, str | None]] = [
        (outline, None) for outline in reversed(body.findall("outline"))
    ]
    while pending:
        outline, category = pending.pop()
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        children = outline.findall("outline")
        site = (outline.get("htmlUrl") or outline.get("htmlurl") or "").strip()
        from_site = not url and not children and bool(site)
        if from_site:
            url = site
        if url:
            if url not in seen and len(feeds) < MAX_OUTLINES:
                seen.add(url)
                feeds.append(OpmlFeed(url, title, category, from_site=from_site))
            continue
        if not children:
            if len(without_address) < MAX_OUTLINES:
                without_address.append(title or "(an untitled outline)")
            continue
        inner = title or category
        pending.extend((child, inner) for child in reversed(children))
    return OpmlContents(feeds, without_address)


def write_opml(title: str, feeds: Sequence[OpmlFeed]) -> bytes:
    """Return an OPML 2.0 document listing ``feeds``, grouped by category."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    body = ElementTree.SubElement(root, "body")
    by_category: dict[str, list[OpmlFeed]] = {}
    for feed in feeds:
        by_category.setdefault(feed.category or "", []).append(feed)
    for category in sorted(by_category):
        parent = body
        if category:
            parent = ElementTree.SubElement(body, "outline", text=category, title=category)
        for feed in sorted(by_category[category], key=lambda f: (f.title or f.url).lower()):
            name = feed.title or feed.url
            ElementTree.SubElement(
                parent, "outline", type="rss", text=name, title=name, xmlUrl=feed.url
            )
    ElementTree.indent(root)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
