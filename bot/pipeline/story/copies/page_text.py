"""Article text from a file: an HTML page's main text, or a plain-text file as it is.

Rules:

- A file is HTML when, after any byte-order mark and leading whitespace, it starts with
  ``<!doctype html``, ``<html``, ``<?xml`` or a comment, or when it holds a ``<body``,
  ``<article``, ``<p>`` or ``<div`` tag anywhere (case-insensitive); anything else is plain
  text, used as it is.
- Bytes are read as UTF-8, or as Latin-1 when they are not valid UTF-8 (it never fails).
- An HTML page's text is its clean article text from
  ``bot.pipeline.read.extraction.extract_article``
  (the project's one extractor; :func:`page_text` is the one place that calls it); a page
  it finds no article in gives its whole visible text (trafilatura's ``html2txt``) instead,
  so that every file still has a text to compare.
- A file's site (:mod:`.boilerplate`) is the host of the canonical address its page
  declares; a plain-text file, or a page declaring none, has no site.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.pipeline.story.copies.boilerplate import site_of

_HTML_START = re.compile(r"\A\s*(?:<!doctype\s+html|<html[\s>]|<\?xml|<!--)", re.IGNORECASE)
_HTML_TAG = re.compile(r"<(?:body|article|p|div)[\s>]", re.IGNORECASE)


def looks_like_html(content: str) -> bool:
    """Return whether file content is an HTML page rather than plain text."""
    head = content.removeprefix("\ufeff")
    return bool(_HTML_START.match(head) or _HTML_TAG.search(head))


def page_text(html: str) -> str:
    """Return the main article text of an HTML page."""
    return page_text_and_site(html)[0]


def page_text_and_site(html: str) -> tuple[str, str | None]:
    """Return the main article text of an HTML page and the site its canonical address names."""
    # Imported on first use: plain-text runs and the story pipeline never need extraction.
    import trafilatura  # noqa: PLC0415

    from bot.pipeline.read.extraction import extract_article  # noqa: PLC0415

    article = extract_article(html)
    site = site_of(article.canonical_url)
    if article.text:
        return article.text, site
    return trafilatura.html2txt(html) or "", site


def article_text(content: str) -> str:
    """Return the article text of file content, HTML or plain."""
    return page_text(content) if looks_like_html(content) else content


def decode(data: bytes) -> str:
    """Return file bytes as text: UTF-8 (with or without BOM), else Latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_article_text(path: Path) -> str:
    """Return the article text of a file; raise ``OSError`` if it cannot be read."""
    return article_text(decode(path.read_bytes()))


def read_article_file(path: Path) -> tuple[str, str | None]:
    """Return the article text of a file and its site; raise ``OSError`` if it cannot be
    read."""
    content = decode(path.read_bytes())
    return page_text_and_site(content) if looks_like_html(content) else (content, None)
