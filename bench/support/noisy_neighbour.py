"""Support of ``bench.noisy_neighbour``: the web both servers' feeds live on, what server B
does and what it measures, and the bot's memory.

- ``NeighbourWeb``: one aiohttp site on 127.0.0.1 with mutable routes: B's feed (a new item
  whenever the bench publishes one, each linking to a small article page) and everything
  server A's attacks point at (feeds of punycode links, 429s asking for forever, a feed of
  tens of thousands of items that changes at every poll, pages of short quotations, pages
  that never finish).
- ``Bystander``: server B's life while A attacks: it types ordinary commands at a steady
  rate and publishes items in its feed; the sandbox's interaction records are stamped so a
  command's latency is dispatch → answered on the sandbox clock (its reply, or for a
  deferred command its follow-up), and a post's delay is publish → the post reaching the
  sandbox.
- ``process_tree_rss_mb``: the resident memory of this process and every process it started
  (a reading pool's workers included).
"""

from __future__ import annotations

import asyncio
import html
import math
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.support.synthetic_servers import FILLER
from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from bot.sandbox.loopback import LoopbackSite

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RSS_TYPE = "application/rss+xml"
B_FEED_ITEMS = 100  # a long window: a late poll finds every item it missed
HTML_TYPE = "text/html; charset=utf-8"


def rss_document(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed of ``(guid, link, description)`` items, newest first."""
    now = format_datetime(datetime.now(UTC))
    body = "".join(
        f"<item><title>{html.escape(guid)}</title><link>{html.escape(link)}</link>"
        f"<guid isPermaLink='false'>{html.escape(guid)}</guid><pubDate>{now}</pubDate>"
        f"<description>{html.escape(description)}</description></item>"
        for guid, link, description in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{html.escape(title)}</title><link>https://neighbour.example/</link>"
        f"<description>bench feed</description>{body}</channel></rss>"
    ).encode()


def article_page(title: str, seed: int, paragraphs: int = 6) -> bytes:
    """A small news article page whose words are its own (drawn by ``seed``), so that no two
    articles look like copies of one story."""
    rng = random.Random(seed)
    text = "".join(
        "<p>" + " ".join(rng.choice(FILLER) for _ in range(40)).capitalize() + ".</p>"
        for _ in range(paragraphs)
    )
    return (
        f"<html><head><title>{html.escape(title)}</title></head><body><article>"
        f"<h1>{html.escape(title)}</h1>{text}</article></body></html>"
    ).encode()


def quotation_page(size_bytes: int) -> bytes:
    """A page made only of short quotations, ``size_bytes`` long (the quadratic case of
    quote extraction in issue 13)."""
    parts = ["<html><head><title>Quotes</title></head><body><article>"]
    total, n = 0, 0
    while total < size_bytes:
        part = f'<p>"Yes {n}," said Ann Lee. "No," said Bo Ma. "So," he said.</p>'
        parts.append(part)
        total += len(part)
        n += 1
    parts.append("</article></body></html>")
    return "".join(parts).encode()


class HugeFeed:
    """A feed of ``items`` items whose newest one changes at every request; the old items are
    written once, so serving it costs the bench (which shares the bot's loop) a copy only."""

    def __init__(self, items: int, base: str) -> None:
        whole = rss_document(
            "Huge feed",
            [("SPLIT", "SPLIT", "SPLIT")]
            + [(f"huge-old-{n}", f"{base}/a/huge/old-{n}", "x") for n in range(items - 1)],
        )
        start = whole.index(b"<item>")
        end = whole.index(b"</item>", start) + len(b"</item>")
        self._head, self._tail = whole[:start], whole[end:]
        self._base = base
        self.edition = 0

    def next_body(self) -> bytes:
        """The document with a new newest item."""
        self.edition += 1
        newest = rss_document(
            "x", [(f"huge-{self.edition}", f"{self._base}/a/huge/{self.edition}", "new")]
        )
        item = newest[newest.index(b"<item>") : newest.index(b"</item>") + len(b"</item>")]
        return self._head + item + self._tail


class NeighbourWeb(LoopbackSite):
    """Feeds and pages for both servers, on 127.0.0.1; routes can change between phases."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, Handler] = {}
        self.hits: dict[str, int] = {}
        self.b_items: list[tuple[str, str, str]] = []
        self.b_published: dict[str, float] = {}
        self.b_feed_path = "/b/feed.xml"
        self.routes[self.b_feed_path] = self._b_feed
        self.routes["/b/articles"] = self._article
        self.routes["/a/page"] = self._article

    def build_app(self) -> web.Application:
        """Route every path to the current handler of its prefix."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        handler = self.routes.get(path) or self.routes.get(path.rsplit("/", 1)[0])
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)

    def url(self, path: str) -> str:
        """The absolute address of ``path``."""
        return self.base_url + path

    def serve(self, path: str, body: bytes, content_type: str = RSS_TYPE) -> None:
        """Serve ``body`` at ``path`` from now on."""

        async def fixed(_request: web.Request) -> web.StreamResponse:
            return web.Response(body=body, headers={"Content-Type": content_type})

        self.routes[path] = fixed

    def publish_b_item(self) -> str:
        """Add a new item to B's feed; return its link (what its post's embed carries)."""
        number = len(self.b_published)
        link = self.url(f"/b/articles/{number}")
        self.b_items.insert(0, (f"b-{number}", link, f"Story {number} of the bystander."))
        del self.b_items[B_FEED_ITEMS:]
        self.b_published[link] = time.monotonic()
        return link

    async def _b_feed(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=rss_document("Bystander News", self.b_items),
            headers={"Content-Type": RSS_TYPE},
        )

    async def _article(self, request: web.Request) -> web.StreamResponse:
        name = request.path.rsplit("/", 1)[-1]
        return web.Response(
            body=article_page(f"Story {name}", zlib.crc32(request.path.encode())),
            headers={"Content-Type": HTML_TYPE},
        )


@dataclass
class AnswerStamps:
    """When the bot answered each interaction, on the sandbox clock, from its dispatch."""

    answered: dict[int, float] = field(default_factory=dict)

    def install(self, sandbox: Sandbox) -> None:
        """Stamp every interaction created from now on."""
        registry = sandbox.state.interactions
        clock = sandbox.state.clock
        create = registry.create

        def stamping_create(*args: Any, **kwargs: Any) -> Any:
            record = create(*args, **kwargs)
            acknowledge, resolve = record.acknowledge, record.resolve_deferred

            def stamp() -> None:
                if record.id not in self.answered and record.answered.is_set():
                    self.answered[record.id] = clock.now() - record.dispatched_at

            def stamped_acknowledge(response_type: int) -> None:
                acknowledge(response_type)
                stamp()

            def stamped_resolve() -> None:
                resolve()
                stamp()

            record.acknowledge = stamped_acknowledge  # type: ignore[method-assign]
            record.resolve_deferred = stamped_resolve  # type: ignore[method-assign]
            return record

        registry.create = stamping_create  # type: ignore[method-assign]


B_COMMANDS = ("/help", "/feed list", "/search query:bystander", "/feed status")


@dataclass
class Bystander:
    """Server B: commands at a steady rate, an item in its feed at a steady rate."""

    sandbox: Sandbox
    web: NeighbourWeb
    guild: str
    stamps: AnswerStamps
    command_every: float
    item_every: float
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    arrived: dict[str, float] = field(default_factory=dict)

    def watch_posts(self, channel_id: int) -> None:
        """Note when each of B's posts reaches the sandbox."""

        def seen(message: RecordedMessage) -> None:
            if message.kind != "post" or message.channel_id != channel_id or not message.embeds:
                return
            url = message.embeds[0].get("url")
            if isinstance(url, str) and url not in self.arrived:
                self.arrived[url] = time.monotonic()

        self.sandbox.on_message(seen)

    async def run(self, seconds: float) -> None:
        """Type commands and publish items for ``seconds``; wait for the commands' answers."""
        began = time.monotonic()
        commands: set[asyncio.Task[None]] = set()
        next_item = began
        index = 0
        while (now := time.monotonic()) < began + seconds:
            if now >= next_item:
                self.published.append(self.web.publish_b_item())
                next_item += self.item_every
            task = asyncio.create_task(self._one(B_COMMANDS[index % len(B_COMMANDS)]))
            commands.add(task)
            task.add_done_callback(commands.discard)
            index += 1
            await asyncio.sleep(self.command_every)
        if commands:
            await asyncio.wait(commands, timeout=60)

    async def _one(self, line: str) -> None:
        try:
            outcome = await self.sandbox.run_command(
                line, user="admin", channel="general", guild=self.guild, timeout=30
            )
        except Exception as error:  # a sandbox bug must not stop the phase
            self.failures.append(f"{line}: {error!r}")
            return
        ids = {m.interaction_id for m in outcome.messages if m.interaction_id is not None}
        answered = [self.stamps.answered[i] for i in ids if i in self.stamps.answered]
        if outcome.refused or outcome.timed_out or not answered:
            self.failures.append(f"{line}: {outcome.refused or 'no answer'}")
            return
        self.latencies.append(min(answered))

    def post_delays(self) -> list[float]:
        """Publish → post of every item published in this phase (inf: never posted)."""
        return [
            self.arrived[link] - self.web.b_published[link] if link in self.arrived else math.inf
            for link in self.published
        ]

    def all_posted(self) -> bool:
        """Whether every item published in this phase was posted."""
        return all(link in self.arrived for link in self.published)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (from /proc)."""
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_kb(current)
        pending += _children(current)
    return total / 1024


class RssSampler:
    """Samples the process tree's RSS every ``every`` seconds; keeps the peak since reset."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self._pid = pid
        self._every = every
        self.peak = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._sample())

    def reset(self) -> None:
        """Start a new peak."""
        self.peak = process_tree_rss_mb(self._pid)

    def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, process_tree_rss_mb(self._pid))
            await asyncio.sleep(self._every)
