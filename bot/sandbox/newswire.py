"""The demo newswire: a local RSS 2.0 feed that gains a new item every few seconds.

Rules:

- Listens on 127.0.0.1 only (``port``, or a free port when 0); ``feed_url`` is
  ``{base_url}/feed.xml``.
- Draws from about twenty short, original, fictional news stories
  (``bot/sandbox/demo/newswire_stories.json``), in order, each published once: when the pool
  is used up the wire stops publishing (``exhausted``). It never reposts a story under a new
  title, which the bot would rightly take for a copy of the first. Item ``n`` has the guid
  ``newsdesk-demo-{edition}{n}`` (with an ``edition`` per run, unique across runs, so a
  database kept between sandbox runs still sees new items as new), and a link
  ``{base_url}/articles/{slug}`` that serves a small HTML article page with ``og:title``,
  ``article:published_time`` and ``author`` meta tags.
- It starts with three items already published (a few minutes in the past), so a new
  subscription has something to seed past; after that an item is published every
  ``interval_seconds``, at the scheduled moment, which becomes its ``pubDate``.
- Publishing is driven by the clock when a request arrives (no background task), so a test
  can pass a manual ``clock`` and advance it, or set ``interval_seconds=None`` and call
  ``publish_next()``.
- The feed lists the newest 20 items, newest first, with an ``ETag`` (content hash) and
  ``Last-Modified`` (newest item); matching validators get ``304 Not Modified``.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from aiohttp import web

from bot.sandbox.loopback import LoopbackSite

FEED_TITLE = "Newsdesk Demo Newswire"
INITIAL_ITEMS = 3
ITEMS_IN_FEED = 20
_DC = "http://purl.org/dc/elements/1.1/"


@dataclass(frozen=True)
class Story:
    """One written story of the pool."""

    title: str
    body: str
    author: str
    category: str


@dataclass(frozen=True)
class WireItem:
    """A story as published on the wire: number ``n``, at a moment."""

    number: int
    story: Story
    published_at: datetime
    edition: str = ""

    @property
    def guid(self) -> str:
        """Return the item's stable, unique guid."""
        return f"newsdesk-demo-{self.edition}{self.number}"

    @property
    def title(self) -> str:
        """Return the story's title."""
        return self.story.title

    @property
    def slug(self) -> str:
        """Return the article's URL slug."""
        words = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")
        return f"{self.number}-{words}"


def load_stories() -> tuple[Story, ...]:
    """Read the story pool shipped with the package (blocking; small file)."""
    text = resources.files("bot.sandbox").joinpath("demo/newswire_stories.json").read_text("utf-8")
    return tuple(Story(**story) for story in json.loads(text)["stories"])


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DemoNewswire(LoopbackSite):
    """A local newswire serving ``/feed.xml`` and ``/articles/{slug}``; an async context manager."""

    def __init__(
        self,
        interval_seconds: float | None = 8.0,
        *,
        clock: Callable[[], datetime] = _utc_now,
        stories: tuple[Story, ...] | None = None,
        port: int = 0,
        edition: str = "",
    ) -> None:
        self.interval_seconds = interval_seconds
        self._clock = clock
        super().__init__(port)
        self._stories = stories
        self._edition = edition
        self._items: list[WireItem] = []
        self._next_due: datetime | None = None

    @property
    def feed_url(self) -> str:
        """Return the URL of the RSS feed."""
        return f"{self.base_url}/feed.xml"

    @property
    def items(self) -> tuple[WireItem, ...]:
        """Return every item published so far, oldest first."""
        return tuple(self._items)

    def article_url(self, item: WireItem) -> str:
        """Return the URL of an item's article page."""
        return f"{self.base_url}/articles/{item.slug}"

    @property
    def story_count(self) -> int:
        """How many stories the wire will publish in all (known once started)."""
        return len(self._stories or ())

    @property
    def exhausted(self) -> bool:
        """True once every story of the pool has been published."""
        return self._stories is not None and len(self._items) >= len(self._stories)

    def publish_next(self, at: datetime | None = None) -> WireItem:
        """Publish the next story now (or at ``at``) and return it."""
        if not self._stories:
            raise RuntimeError("the newswire has no stories; start it first")
        if self.exhausted:
            raise RuntimeError(f"the newswire has published all its {len(self._stories)} stories")
        number = len(self._items) + 1
        item = WireItem(number, self._stories[number - 1], at or self._clock(), self._edition)
        self._items.append(item)
        return item

    def _catch_up(self) -> None:
        """Publish every item whose scheduled moment has passed (until the pool runs out)."""
        if self.interval_seconds is None or self._next_due is None:
            return
        now = self._clock()
        while self._next_due <= now and not self.exhausted:
            self.publish_next(at=self._next_due)
            self._next_due += timedelta(seconds=self.interval_seconds)

    def feed_xml(self) -> bytes:
        """Return the RSS 2.0 document for the current items."""
        self._catch_up()
        ET.register_namespace("dc", _DC)
        rss = ET.Element("rss", {"version": "2.0"})
        channel = ET.SubElement(rss, "channel")
        newest = list(reversed(self._items[-ITEMS_IN_FEED:]))
        for tag, text in (
            ("title", FEED_TITLE),
            ("link", f"{self.base_url}/"),
            ("description", "Fictional local, science and tech news for trying Newsdesk."),
            ("language", "en"),
        ):
            ET.SubElement(channel, tag).text = text
        if newest:
            last_build = email.utils.format_datetime(newest[0].published_at, usegmt=True)
            ET.SubElement(channel, "lastBuildDate").text = last_build
        for item in newest:
            element = ET.SubElement(channel, "item")
            ET.SubElement(element, "title").text = item.title
            ET.SubElement(element, "link").text = self.article_url(item)
            ET.SubElement(element, "guid", {"isPermaLink": "false"}).text = item.guid
            pub_date = email.utils.format_datetime(item.published_at, usegmt=True)
            ET.SubElement(element, "pubDate").text = pub_date
            ET.SubElement(element, f"{{{_DC}}}creator").text = item.story.author
            ET.SubElement(element, "category").text = item.story.category
            ET.SubElement(element, "description").text = item.story.body
        document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
        return document

    def article_html(self, item: WireItem) -> str:
        """Return the article page for an item, with the meta tags extraction looks for."""
        e = html.escape
        published = item.published_at.isoformat()
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
            f"<title>{e(item.title)} | {FEED_TITLE}</title>\n"
            f"<meta property='og:title' content='{e(item.title)}'>\n"
            "<meta property='og:type' content='article'>\n"
            f"<meta property='og:url' content='{e(self.article_url(item))}'>\n"
            f"<meta property='og:site_name' content='{FEED_TITLE}'>\n"
            f"<meta property='article:published_time' content='{published}'>\n"
            f"<meta property='article:section' content='{e(item.story.category)}'>\n"
            f"<meta name='author' content='{e(item.story.author)}'>\n"
            f"<meta name='description' content='{e(item.story.body.split('. ')[0])}.'>\n"
            "</head><body><article>\n"
            f"<h1>{e(item.title)}</h1>\n"
            f"<p class='byline'>By {e(item.story.author)}, <time datetime='{published}'>"
            f"{item.published_at:%d %B %Y %H:%M} UTC</time></p>\n"
            f"<p>{e(item.story.body)}</p>\n"
            "</article></body></html>\n"
        )

    async def _feed(self, request: web.Request) -> web.Response:
        body = self.feed_xml()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if self._items:
            newest = self._items[-1].published_at
            headers["Last-Modified"] = email.utils.format_datetime(newest, usegmt=True)
        if_none_match = request.headers.get("If-None-Match")
        not_modified = (
            if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]
        ) or (
            if_none_match is None
            and "Last-Modified" in headers
            and request.headers.get("If-Modified-Since") == headers["Last-Modified"]
        )
        if not_modified:
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = "application/rss+xml"
        return web.Response(body=body, headers=headers)

    async def _article(self, request: web.Request) -> web.Response:
        self._catch_up()
        slug = request.match_info["slug"]
        for item in self._items:
            if item.slug == slug:
                return web.Response(text=self.article_html(item), content_type="text/html")
        return web.Response(status=404, text="No such article")

    async def start(self) -> None:
        """Load the stories, publish the first items and start listening on 127.0.0.1."""
        if self._stories is None:
            self._stories = await asyncio.to_thread(load_stories)
        now = self._clock()
        for minutes_ago in range(min(INITIAL_ITEMS, len(self._stories)), 0, -1):
            self.publish_next(at=now - timedelta(minutes=minutes_ago))
        if self.interval_seconds is not None:
            self._next_due = now + timedelta(seconds=self.interval_seconds)
        await super().start()

    def build_app(self) -> web.Application:
        """Serve the feed and the article pages."""
        app = web.Application()
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_get("/articles/{slug}", self._article)
        return app
