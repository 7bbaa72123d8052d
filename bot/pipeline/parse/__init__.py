"""Turn a fetched document into plain data: ``ParsedFeed`` with ``ParsedEntry`` items.

Rules:

- RSS 0.9x/1.0/2.0, RDF and Atom 0.3/1.0 are read by feedparser, told the document's URL
  and content type so relative links resolve (``xml:base`` first, then the feed URL).
  JSON Feed 1.0/1.1, which feedparser does not read, is detected (``application/feed+json``
  or ``application/json``, or a JSON object whose ``version`` starts with
  ``https://jsonfeed.org/version/``) and mapped here.
- A document that is not a feed (a web page, an empty body, garbage) raises
  ``FeedParseError`` with one sentence for the admin. An ill-formed feed is not an error:
  whatever entries feedparser recovered are returned, and ``problem`` says what was wrong.
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
- ``parse_feed`` is pure and synchronous (CPU-bound); async code calls
  ``parse_feed_in_thread`` so the event loop never parses.
"""

from __future__ import annotations

import asyncio

from bot.pipeline.parse.json_feed import json_feed_document, parse_json_feed
from bot.pipeline.parse.records import ParsedEntry, ParsedFeed
from bot.pipeline.parse.syndication import parse_syndication_feed

__all__ = ["ParsedEntry", "ParsedFeed", "parse_feed", "parse_feed_in_thread"]


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a fetched feed document (RSS, RDF, Atom or JSON Feed) into plain data.

    Raises:
        FeedParseError: when the document is not a feed at all.
    """
    document = json_feed_document(body, content_type)
    if document is not None:
        return parse_json_feed(document, url)
    return parse_syndication_feed(body, url, content_type)


async def parse_feed_in_thread(
    body: bytes, *, url: str, content_type: str | None = None
) -> ParsedFeed:
    """Run ``parse_feed`` in a worker thread so the event loop stays free."""
    return await asyncio.to_thread(parse_feed, body, url=url, content_type=content_type)
