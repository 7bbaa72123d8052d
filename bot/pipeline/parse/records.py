"""The plain data a parsed feed becomes; see ``bot.pipeline.parse`` for the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ParsedEntry:
    """One item of a feed, as plain values.

    ``known``: its key (``bot.pipeline.identify``) was among the keys ``parse_feed`` was told
    are stored already, so only what makes its key was read: ``guid``, and ``link`` unless
    the guid is the key (or ``title`` and ``summary`` when it has neither guid nor link);
    its other text fields are empty and ``published``, ``content_html``, ``author`` and
    ``image_url`` None (a stored entry is never stored again, so nothing reads them).
    """

    guid: str | None
    link: str | None
    title: str
    summary: str
    content_html: str | None
    published: datetime | None
    author: str | None
    image_url: str | None
    categories: tuple[str, ...] = ()
    known: bool = False

    @classmethod
    def stored(
        cls, guid: str | None, link: str | None, title: str = "", summary: str = ""
    ) -> ParsedEntry:
        """A ``known`` entry (with its title and summary when they are its key): equal to one
        made by ``ParsedEntry(...)``, made without the frozen dataclass's ``__init__`` (a
        field at a time through ``object.__setattr__``), five times slower, and a poll makes
        one for each of thousands of stored entries."""
        entry = object.__new__(cls)
        entry.__dict__.update(_STORED_FIELDS, guid=guid, link=link, title=title, summary=summary)
        return entry


_STORED_FIELDS: dict[str, object] = {
    "title": "", "summary": "", "content_html": None, "published": None, "author": None,
    "image_url": None, "categories": (), "known": True,
}


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its own metadata and its entries in document order.

    ``listed_items`` is how many items the document listed; more than ``len(entries)`` when
    only the newest were read (``bot.pipeline.parse.newest``).
    """

    title: str
    link: str | None
    entries: tuple[ParsedEntry, ...]
    ttl_minutes: int | None
    icon_url: str | None
    problem: str | None
    listed_items: int = 0
    cut_off: bool = False
    """The document ends before its root element closes (a truncated file): the entries are
    the ones before the cut."""

    @property
    def was_cut(self) -> bool:
        """Whether the document listed more items than were read."""
        return self.listed_items > len(self.entries)
