"""Turn a fetched document into plain data: ``ParsedFeed`` with ``ParsedEntry`` items.

Rules:

- RSS 2.0, RDF and Atom 1.0 are read by fastfeedparser (``fast_syndication``), dozens of
  times faster than feedparser and mapped to the same plain data; whatever shape it cannot
  read as feedparser would (legacy formats, DOCTYPEs, cut-off files, contradictory
  encodings, the few listed there) is read by feedparser (``syndication``), told the
  document's URL and content type so relative links resolve (``xml:base`` first, then the
  feed URL). JSON Feed 1.0/1.1, which feedparser does not read, is detected
  (``application/feed+json`` or ``application/json``, or a JSON object whose ``version``
  starts with ``https://jsonfeed.org/version/``) and mapped here.
- A document that is not a feed (a web page, an empty body, garbage) raises
  ``FeedParseError`` with one sentence for the admin. An ill-formed feed is not an error:
  whatever entries were recovered (or read after a safe repair) are returned, and
  ``problem`` says what was wrong.
  Nothing but ``FeedParseError`` leaves ``parse_feed``.
- Text fields are plain text: entities decoded, tags removed (scripts and styles dropped,
  block elements become paragraph breaks), whitespace collapsed, and control, zero-width
  and bidirectional-override characters removed. ``content_html`` keeps the fullest HTML
  body the feed gave, **as the feed gave it**: not sanitised and with relative URLs left
  as they are (resolve them against ``link``). It is untrusted input for extraction and
  must never be rendered as HTML.
- Links and image URLs are absolute and http(s) only; anything else becomes None.
- Dates are timezone-aware UTC, from ``published`` else ``updated``; a missing, unreadable
  or absurd date (more than two days in the future) is None, never "now".
- With ``max_items``, only the document's newest ``max_items`` items are read
  (``newest``); ``ParsedFeed.listed_items`` says how many it listed.
- With ``known_keys`` (the keys of the entries a feed's poll already stored, as
  ``bot.pipeline.identify`` makes them), an entry whose guid or link gives one of those keys
  is read only for what makes its key (``ParsedEntry.known``): cleaning text, summaries
  above all, is most of the time parsing takes, and a changed feed's entries are mostly old.
  Only the fastfeedparser path leaves them uncleaned; the rare documents read otherwise are
  cleaned whole. A stored entry is recognised by its key as a regular document gives it,
  without searching the document: relative links resolved against the root's
  ``xml:base`` (or the feed's URL), and where only a search would tell (an id equal to the
  link may be fastfeedparser's copy of it; ``isPermaLink`` decides whether a guid resolves
  like a link) each reading tried. For an unchanged document that is the key an eager parse
  gives; for one whose shape changed since (guids dropped, an ``xml:base`` added) the entry
  stays recognised rather than being posted a second time. The checks of whether the fast
  path reads an entry as feedparser would, and the searches they need, are made only where
  the entries it cleans are: those read as in an eager parse, unless that parse would hand
  the whole document to feedparser for a stored entry's sake alone, and then the fast
  path reads them.
- ``parse_feed`` is pure and synchronous (CPU-bound); async code calls ``FeedParser.parse``,
  which runs it in the worker pool: a document not parsed within the pool's deadline (or
  that stops its worker) raises ``FeedParseError`` like any unreadable feed, and the event
  loop never parses.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from bot.core.errors import FeedParseError
from bot.pipeline.parse.fast_syndication import parse_fast_syndication
from bot.pipeline.parse.json_feed import json_feed_document, parse_json_feed
from bot.pipeline.parse.records import ParsedEntry, ParsedFeed
from bot.pipeline.parse.syndication import parse_syndication_feed
from bot.pipeline.worker_pool import JobTimedOut, WorkerCrashed, WorkerPool

__all__ = ["DEFAULT_MAX_ITEMS", "FeedParser", "ParsedEntry", "ParsedFeed", "parse_feed"]

DEFAULT_MAX_ITEMS = 500


def parse_feed(
    body: bytes, *, url: str, content_type: str | None = None, max_items: int | None = None,
    known_keys: Container[str] = frozenset(),
) -> ParsedFeed:
    """Parse a fetched feed document (RSS, RDF, Atom or JSON Feed) into plain data, its newest
    ``max_items`` items only when given, entries whose key is in ``known_keys`` left
    uncleaned (see the rules).

    Raises:
        FeedParseError: when the document is not a feed at all.
    """
    document = json_feed_document(body, content_type)
    if document is not None:
        return parse_json_feed(document, url, max_items)
    fast = parse_fast_syndication(body, url, content_type, max_items, known_keys)
    if fast is not None:
        return fast
    return parse_syndication_feed(body, url, content_type, max_items)


def _parse_job(
    body: bytes, url: str, content_type: str | None, max_items: int, known_keys: frozenset[str]
) -> ParsedFeed:
    return parse_feed(
        body, url=url, content_type=content_type, max_items=max_items, known_keys=known_keys
    )


@dataclass(frozen=True)
class FeedParser:
    """Parses fetched feed documents in the worker pool, the newest ``max_items`` items each."""

    pool: WorkerPool
    max_items: int = DEFAULT_MAX_ITEMS

    async def parse(
        self, body: bytes, *, url: str, content_type: str | None = None,
        known_keys: frozenset[str] = frozenset(),
    ) -> ParsedFeed:
        """Parse a document in a worker process, within the pool's deadline (``known_keys``:
        as ``parse_feed``'s).

        Raises:
            FeedParseError: the document is not a feed, or was not parsed in time.
        """
        try:
            return await self.pool.run(
                _parse_job, body, url, content_type, self.max_items, known_keys
            )
        except JobTimedOut as slow:
            raise FeedParseError(
                f"Newsdesk took longer than {slow.deadline_seconds:g} s to read that feed, so "
                "it stopped. Ask its publisher to list fewer or shorter items."
            ) from None
        except MemoryError:
            raise FeedParseError(
                "That feed could not be read: it needs more memory than a feed may use. Ask "
                "its publisher to list fewer or shorter items."
            ) from None
        except WorkerCrashed:
            raise FeedParseError(
                "That feed could not be read: reading it stopped the process reading it. Ask "
                "its publisher to check it."
            ) from None
