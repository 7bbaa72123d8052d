"""The page: parse HTML once, read what its markup declares, and run trafilatura on it.

Rules:

- The HTML is parsed once (trafilatura's loader, which guesses the encoding of bytes); the
  same tree is read here and then handed to trafilatura, which works on its own copy.
- Markup facts are read, never guessed: JSON-LD objects, ``<meta>`` tags by ``property``,
  ``name`` and ``itemprop``, ``<link rel=canonical>``, ``<html lang>``, ``<time datetime>``
  inside ``<article>`` or ``<main>``, every link with its text and the text around it, and
  (only when asked, ``read_widget_texts``) the text of possible date widgets: elements
  outside ``<article>``/``<main>`` that sit in a ``<header>`` or are classed "today",
  "top-bar", "current-date" or "header-date", and are not a post's own date or a teaser's
  (inside a ``<figure>`` or list item, or classed post, entry, published or teaser).
- trafilatura runs with metadata, without comments (reader comments are not the article),
  and its text comes back as paragraphs, one per block.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml.html import HtmlElement  # type: ignore[import-untyped,unused-ignore]
from trafilatura.utils import load_html

MAX_LINK_CONTEXT = 120


@dataclass(frozen=True)
class PageLink:
    """A link on the page: where it goes, what it says, and the text of its block."""

    href: str
    text: str
    block_text: str


@dataclass(frozen=True)
class PageMarkup:
    """What the page's markup declares about itself."""

    json_ld: tuple[dict[str, Any], ...] = ()
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    html_lang: str | None = None
    article_times: tuple[str, ...] = ()
    links: tuple[PageLink, ...] = ()


@dataclass(frozen=True)
class LibraryResult:
    """What trafilatura extracted: paragraphs and its own metadata."""

    paragraphs: tuple[str, ...]
    title: str | None
    author: str | None
    date: str | None
    url: str | None
    sitename: str | None
    language: str | None
    image: str | None


def parse_html(html: str | bytes) -> HtmlElement | None:
    """Return the parsed tree of ``html``, or None when it is not HTML."""
    try:
        tree: HtmlElement | None = load_html(html)
    except (TypeError, ValueError):
        return None
    return tree


def run_library(tree: HtmlElement, url: str | None) -> LibraryResult | None:
    """Run trafilatura on ``tree`` with metadata; None when it finds no main text."""
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False
    )
    if document is None or isinstance(document, dict):
        return None
    text = document.text or ""
    paragraphs = tuple(line.strip() for line in text.split("\n") if line.strip())
    return LibraryResult(
        paragraphs=paragraphs,
        title=document.title,
        author=document.author,
        date=document.date,
        url=document.url,
        sitename=document.sitename,
        language=document.language,
        image=document.image,
    )


def _json_ld_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Yield every object in a JSON-LD value, descending into lists and ``@graph``."""
    if isinstance(value, list):
        for item in value:
            yield from _json_ld_objects(item)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _json_ld_objects(value["@graph"])


def _read_json_ld(tree: HtmlElement) -> tuple[dict[str, Any], ...]:
    objects: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            value = json.loads(script.text or "")
        except ValueError:
            continue
        objects.extend(_json_ld_objects(value))
    return tuple(objects)


def _read_meta(tree: HtmlElement) -> dict[str, str]:
    meta: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content and key.strip().lower() not in meta:
            meta[key.strip().lower()] = content.strip()
    return meta


def absolute_url(base: str | None, href: str) -> str | None:
    """Return ``href`` resolved against ``base``; None when either is malformed."""
    if href.startswith(("http://", "https://")) and not any(
        segment in href for segment in ("/./", "/../")
    ):
        return href  # already absolute: urljoin would return it as it is, at a cost
    try:
        return urljoin(base or "", href)
    except ValueError:
        return None


def _read_canonical(tree: HtmlElement, base: str | None) -> str | None:
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        href: str = (element.get("href") or "").strip()
        if "canonical" in rel and href:
            return absolute_url(base, href)
    return None


def _read_article_times(tree: HtmlElement) -> tuple[str, ...]:
    found: list[str] = []
    for container in ("article", "main"):
        for element in tree.iter(container):
            for time in element.iter("time"):
                value = (time.get("datetime") or "").strip()
                if value:
                    found.append(value)
    for time in tree.iter("time"):
        value = (time.get("datetime") or "").strip()
        if value and (time.get("itemprop") == "datePublished" or time.get("pubdate") is not None):
            found.insert(0, value)
    return tuple(found)


def _text_of(element: HtmlElement) -> str:
    return " ".join((element.text_content() or "").split())


def _read_links(tree: HtmlElement, base: str | None) -> tuple[PageLink, ...]:
    links: list[PageLink] = []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href.startswith(("http://", "https://", "/")):
            continue
        text = _text_of(anchor)
        parent = anchor.getparent()
        block = _text_of(parent) if parent is not None else text
        resolved = absolute_url(base, href)
        if resolved is not None:
            links.append(PageLink(resolved, text, block[: MAX_LINK_CONTEXT * 4]))
    return tuple(links)


_WIDGET_XPATH = (
    "//*[(ancestor::header or contains(@class, 'today') or contains(@id, 'today')"
    " or contains(@class, 'top-bar') or contains(@class, 'topbar')"
    " or contains(@class, 'current-date') or contains(@class, 'header-date'))"
    " and not(ancestor-or-self::article) and not(ancestor-or-self::main)"
    # a post's own date, or a teaser's in a list of posts, is no "today" widget
    # (nor is an element holding one)
    " and not(ancestor-or-self::figure or descendant::figure)"
    " and not(ancestor-or-self::li or descendant::li)"
    " and not((ancestor-or-self::* | descendant::*)[contains(@class, 'post')"
    " or contains(@class, 'entry') or contains(@class, 'published')"
    " or contains(@class, 'teaser')])]"
)


def read_widget_texts(tree: HtmlElement) -> tuple[str, ...]:
    """Return the texts of possible date widgets (page headers, "today" bars).

    Read only when the date choice needs them (``dates.choose_publish_date``): the XPath
    visits every element of the page.
    """
    texts = (_text_of(element) for element in tree.xpath(_WIDGET_XPATH))
    return tuple(text for text in texts if 0 < len(text) <= MAX_LINK_CONTEXT)


def read_markup(tree: HtmlElement, url: str | None) -> PageMarkup:
    """Return what ``tree``'s markup declares (read only; the tree is not changed)."""
    html_lang: str | None = None
    root = tree.getroottree().getroot()
    if root is not None:
        declared: str = root.get("lang") or root.get("xml:lang") or ""
        html_lang = declared.strip() or None
    return PageMarkup(
        json_ld=_read_json_ld(tree),
        meta=_read_meta(tree),
        canonical=_read_canonical(tree, url),
        html_lang=html_lang,
        article_times=_read_article_times(tree),
        links=_read_links(tree, url),
    )
