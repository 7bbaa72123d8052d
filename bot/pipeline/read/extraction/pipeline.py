"""The extraction step: HTML in, ``ExtractedArticle`` out. Pure, synchronous, CPU-bound.

Rules:

- The page is parsed once; its markup is read, then trafilatura extracts the main text
  and metadata, then ``cleaning`` removes what trafilatura left of the page's junk.
- Title: trafilatura's (og:title, headline, <title> without the site suffix). Author:
  trafilatura's byline unless generic (``authors``). Date: ``dates``. Language: the
  library's, else ``<html lang>``/``og:locale``, as a two-letter code. Image: og:image.
  Canonical URL: ``rel=canonical`` or ``og:url`` as declared (None when not declared).
- With a ``FeedFallback``: when the page cannot be read, or its text is shorter than the
  feed's, the feed's text is used; missing title, author, date and image come from it.
- Entities and quotes are read from the cleaned text: organisations first, then people
  (not places or organisations), then quotes, whose one-word speakers and "he said" resolve
  to those people; speakers not found otherwise join the people. Places exclude the names
  already taken as people and organisations.
"""

from __future__ import annotations

import re

from bot.core.models import Organization, Quote
from bot.pipeline.read.extraction.article import ExtractedArticle, FeedFallback
from bot.pipeline.read.extraction.authors import choose_author
from bot.pipeline.read.extraction.cleaning import clean_paragraphs
from bot.pipeline.read.extraction.dates import (
    choose_publish_date,
    declared_publish_date,
    parse_standalone_date,
)
from bot.pipeline.read.extraction.organizations import find_organizations
from bot.pipeline.read.extraction.original_source import OriginalSource, find_original_source
from bot.pipeline.read.extraction.page import (
    LibraryResult,
    PageMarkup,
    parse_html,
    read_markup,
    read_widget_texts,
    run_library,
)
from bot.pipeline.read.extraction.people import find_people_and_roles
from bot.pipeline.read.extraction.places import find_places, gazetteer, gazetteer_words
from bot.pipeline.read.extraction.quotes import extract_quotes
from bot.pipeline.read.extraction.summary import summarize

ExtractedArticleParts = tuple[
    tuple[str, ...], tuple[Organization, ...], tuple[str, ...], tuple[Quote, ...]
]
_LANGUAGE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


def declared_authors(markup: PageMarkup, feed_author: str | None) -> list[str]:
    """Return the bylines the page's meta tags and JSON-LD, and the feed, declare."""
    found = [markup.meta.get("author"), markup.meta.get("article:author"), feed_author]
    for item in markup.json_ld:
        authors = item.get("author")
        for author in authors if isinstance(authors, list) else [authors]:
            name = author.get("name") if isinstance(author, dict) else author
            found.append(name if isinstance(name, str) else None)
    return [name for name in found if name]


def _language(*candidates: str | None) -> str | None:
    for candidate in candidates:
        match = _LANGUAGE.match((candidate or "").strip())
        if match:
            return match.group(1).lower()
    return None


def _fallback_paragraphs(fallback: FeedFallback | None) -> tuple[str, ...]:
    if fallback is None:
        return ()
    return tuple(" ".join(part.split()) for part in fallback.text.split("\n") if part.strip())


def _analyse(
    paragraphs: tuple[str, ...], summary_chars: int
) -> tuple[str, str, ExtractedArticleParts]:
    text = "\n\n".join(paragraphs)
    organizations = find_organizations(paragraphs, places=gazetteer())
    organization_names = [o.name for o in organizations] + [
        alias for o in organizations for alias in o.aliases
    ]
    not_people = {*gazetteer(), *(name.casefold() for name in organization_names)}
    with_aliases, roles = find_people_and_roles(paragraphs, not_people=not_people)
    named = [name for name, _aliases in with_aliases]
    organization_words = (word.casefold() for name in organization_names for word in name.split())
    other_words = {*gazetteer_words(), *organization_words}
    quotes = extract_quotes(paragraphs, named, roles=roles, other_names=other_words)
    speakers = [
        quote.speaker
        for quote in quotes
        if quote.speaker and " " in quote.speaker and quote.speaker.casefold() not in not_people
    ]
    people = tuple(dict.fromkeys([*named, *speakers]))
    places = find_places(paragraphs, taken=[*people, *organization_names])
    return text, summarize(text, summary_chars), (people, organizations, places, quotes)


def extract_article(
    html: str | bytes,
    *,
    url: str | None = None,
    summary_chars: int = 600,
    fallback: FeedFallback | None = None,
) -> ExtractedArticle:
    """Extract the clean article, its metadata, summary, names and quotes from ``html``."""
    tree = parse_html(html) if html else None
    markup = read_markup(tree, url) if tree is not None else PageMarkup()
    library: LibraryResult | None = run_library(tree, url) if tree is not None else None
    title = library.title if library else None
    cleaned = clean_paragraphs(library.paragraphs if library else (), title)
    paragraphs = cleaned.paragraphs
    feed_paragraphs = _fallback_paragraphs(fallback)
    if sum(map(len, feed_paragraphs)) > sum(map(len, paragraphs)):
        paragraphs = clean_paragraphs(feed_paragraphs, title).paragraphs
    widget_dates = (
        day
        for text in (read_widget_texts(tree) if tree is not None else ())
        if (day := parse_standalone_date(text))
    )
    published = choose_publish_date(
        declared_publish_date(markup.json_ld, markup.meta, markup.article_times),
        library.date if library else None,
        widget_dates,
        feed_date=fallback.published if fallback else None,
    )
    source = (
        find_original_source(markup, url, library.paragraphs if library else ())
        if tree is not None
        else OriginalSource(None, None)
    )
    text, summary, (people, organizations, places, quotes) = _analyse(paragraphs, summary_chars)
    canonical = markup.canonical or markup.meta.get("og:url")
    return ExtractedArticle(
        title=title or (fallback.title if fallback else None) or None,
        author=choose_author(
            library.author if library else None,
            declared_authors(markup, fallback.author if fallback else None),
        ),
        published=published or (fallback.published if fallback else None),
        canonical_url=canonical,
        original_url=source.url,
        original_publisher=source.publisher,
        language=_language(
            library.language if library else None, markup.html_lang, markup.meta.get("og:locale")
        ),
        image=(library.image if library else None)
        or markup.meta.get("og:image")
        or (fallback.image if fallback else None),
        text=text,
        summary=summary,
        people=people,
        organizations=organizations,
        places=places,
        quotes=quotes,
    )
