"""Finding the feed behind a site or article address.

Rules:
- Feeds a page declares with ``<link rel="alternate">`` (RSS, Atom, RDF, JSON Feed types) come
  first, in page order, resolved against ``<base href>`` and the page's URL.
- When a page declares none, a few common feed paths on the site are tried (``/feed``,
  ``/rss.xml``…); a candidate counts only if it fetches and parses as a feed.
- Comment feeds (``/comments/feed``) are left out: nobody wants every comment in a channel.
- At most ``MAX_CANDIDATES`` are offered; duplicates (same URL) appear once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from bot.core.errors import UserError
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.parse import FeedParser

log = logging.getLogger(__name__)

MAX_CANDIDATES = 10
FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/rdf+xml": "RDF",
    "application/feed+json": "JSON Feed",
    "application/json": "JSON Feed",
    "text/xml": "XML",
    "application/xml": "XML",
}
COMMON_FEED_PATHS = (
    "/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json",
    "/?feed=rss2", "/feeds/posts/default",
)


@dataclass(frozen=True)
class FeedCandidate:
    """A feed a page points to."""

    url: str
    title: str | None
    kind: str


class SeveralFeedsFound(UserError):
    """The page offers more than one feed; the person must choose."""

    def __init__(self, page_url: str, candidates: list[FeedCandidate]) -> None:
        super().__init__(
            f"That page offers {len(candidates)} feeds. Choose one, or paste a feed's own "
            "address."
        )
        self.page_url = page_url
        self.candidates = candidates


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str | None, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = FEED_TYPES.get(values.get("type", "").lower().split(";")[0].strip())
        if "alternate" in rels and kind and values.get("href"):
            self.links.append((values["href"], values.get("title") or None, kind))


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """Return whether a fetched document is a web page rather than a feed."""
    if content_type and "html" in content_type.lower():
        return True
    start = body[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<head" in start


def declared_feeds(html: bytes | str, page_url: str) -> list[FeedCandidate]:
    """Return the feeds a page declares with ``<link rel="alternate">``, absolute and unique."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    parser = _AlternateLinks()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        log.debug("page markup not fully readable url=%s", page_url)
    base = urljoin(page_url, parser.base) if parser.base else page_url
    seen: set[str] = set()
    found: list[FeedCandidate] = []
    for href, title, kind in parser.links:
        url = urljoin(base, href.strip())
        if urlsplit(url).scheme not in {"http", "https"} or url in seen:
            continue
        if "/comments/" in urlsplit(url).path:
            continue
        seen.add(url)
        found.append(FeedCandidate(url=url, title=title, kind=kind))
    return found[:MAX_CANDIDATES]


async def probe_common_paths(
    fetcher: Fetcher, feeds: FeedParser, page_url: str
) -> list[FeedCandidate]:
    """Try the usual feed paths on the page's site; return those that serve a feed."""
    parts = urlsplit(page_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    found: list[FeedCandidate] = []
    for path in COMMON_FEED_PATHS:
        url = origin + path
        try:
            result = await fetcher.fetch(url)
            parsed = await feeds.parse(
                result.body, url=result.url, content_type=result.content_type
            )
        except UserError:
            continue
        if parsed.entries or parsed.title:
            found.append(FeedCandidate(url=url, title=parsed.title or None, kind="feed"))
            break  # the common paths are aliases of one another on most sites
    return found
