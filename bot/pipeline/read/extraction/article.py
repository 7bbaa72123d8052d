"""The values extraction returns: the clean article, with its organisations and quotes.

``Organization`` and ``Quote`` are ``bot.core.models``' own: storage keeps them as they are.

Rules:

- Every value is frozen; tuples, never lists, so an article can be shared between tasks.
- ``published`` is always timezone-aware UTC, or None when the page does not say.
- ``text`` holds paragraphs separated by one blank line.
- ``ExtractedArticle.to_json`` gives the object of ``newsdesk extract``, keys in the order
  of issue 5: source, title, author, published, canonical_url, original_url,
  original_publisher, language, image, text, summary, people, organizations, places, quotes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import ArticleDetails, Organization, Quote


@dataclass(frozen=True)
class FeedFallback:
    """What the feed itself said about an entry, used when the page fails or yields less."""

    title: str
    text: str
    author: str | None = None
    published: datetime | None = None
    image: str | None = None


@dataclass(frozen=True)
class ExtractedArticle:
    """The clean article behind a link, with its metadata, summary, names and quotes."""

    title: str | None
    author: str | None
    published: datetime | None
    canonical_url: str | None
    original_url: str | None
    original_publisher: str | None
    language: str | None
    image: str | None
    text: str
    summary: str
    people: tuple[str, ...] = ()
    organizations: tuple[Organization, ...] = ()
    places: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()

    @property
    def details(self) -> ArticleDetails:
        """Return what is stored with the article besides its text: names and quotes."""
        return ArticleDetails(
            canonical_url=self.canonical_url, language=self.language, people=self.people,
            organizations=self.organizations, places=self.places, quotes=self.quotes,
        )

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Return the text's paragraphs."""
        return tuple(part for part in self.text.split("\n\n") if part)

    def to_json(self, source: str) -> dict[str, object]:
        """Return the ``newsdesk extract`` object for this article read from ``source``."""
        details = self.details.to_json()
        return {
            "source": source,
            "title": self.title,
            "author": self.author,
            "published": None if self.published is None else self.published.isoformat(),
            "canonical_url": self.canonical_url,
            "original_url": self.original_url,
            "original_publisher": self.original_publisher,
            "language": self.language,
            "image": self.image,
            "text": self.text,
            "summary": self.summary,
            **{key: details[key] for key in ("people", "organizations", "places", "quotes")},
        }
