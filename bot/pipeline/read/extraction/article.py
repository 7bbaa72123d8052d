"""The values extraction returns: the clean article, its organisations and its quotes.

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


@dataclass(frozen=True)
class Organization:
    """An organisation named in an article, with the short forms it also goes by."""

    name: str
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Return ``{"name", "aliases"}`` for JSON output."""
        return {"name": self.name, "aliases": list(self.aliases)}


@dataclass(frozen=True)
class Quote:
    """A direct quotation, with its speaker and the speaker's affiliation as printed."""

    speaker: str | None
    affiliation: str | None
    text: str

    def to_json(self) -> dict[str, object]:
        """Return ``{"speaker", "affiliation", "text"}`` for JSON output."""
        return {"speaker": self.speaker, "affiliation": self.affiliation, "text": self.text}


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
    def paragraphs(self) -> tuple[str, ...]:
        """Return the text's paragraphs."""
        return tuple(part for part in self.text.split("\n\n") if part)

    def to_json(self, source: str) -> dict[str, object]:
        """Return the ``newsdesk extract`` object for this article read from ``source``."""
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
            "people": list(self.people),
            "organizations": [organization.to_json() for organization in self.organizations],
            "places": list(self.places),
            "quotes": [quote.to_json() for quote in self.quotes],
        }
