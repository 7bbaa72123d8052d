"""The soak's three child processes and the plan they share: feeds, a sandbox Discord, the bot.

Run as a module, it is one of the processes ``bench.soak`` starts::

    python -m bench.support.soak farm --plan PLAN.json --info PATH      # feeds + article pages
    python -m bench.support.soak sandbox --plan PLAN.json --info PATH   # Discord + commands
    python -m bench.support.soak bot --plan PLAN.json --sandbox-info PATH --db PATH --ready PATH

Everything binds 127.0.0.1. Every process stops on SIGTERM, and by itself after
``Plan.lifetime_seconds``.

The plan (``Plan``, JSON) fixes the whole world, so each process derives the same ids:

- guild 0 is the sandbox's primary guild, guilds 1.. are ``SandboxWorld.add_guild("Soak NNNN")``;
  each guild gets two more people: ``editorNNNN`` (the admin role: Manage Server) and
  ``readerNNNN`` (no permission);
- subscription ``j`` is guild ``j // per_guild``, feed ``j % feeds``, channel #news, #world or
  #tech (``CHANNEL_OFFSETS``), so no channel follows a feed twice;
- item ``k`` of feed ``n`` is published at ``start + (n + 0.5) / feeds * period + k * period``
  (wall clock), ``period = feeds / item_rate``, while that is at most ``end``: items arrive
  evenly, ``item_rate`` per second over all feeds. ``start``/``end`` are set by the bench
  with ``POST /_farm/start``; before that every feed is empty.

The farm serves ``/feeds/{n}.xml`` (RSS 2.0, the latest ``ITEMS_IN_FEED`` items, ETag
``"n-count"`` so an unchanged feed answers 304) and ``/articles/{n:05d}/{k:05d}.html`` (the article
page the reader fetches: about 120 words of text drawn from a 3,000-word made-up
vocabulary, so no two articles look like copies of each other).

The sandbox process serves ``bot.sandbox.Sandbox`` (Discord's limits enforced, the 429 and
401/403 counting middleware of ``bench.support.delivery``) and a control server:
``GET /stats``, ``GET /posts`` (url and channel of every post), ``POST /sync`` (the app
owner runs ``/sync scope:global`` so every guild has the commands), ``POST /commands``
(start the command stream: ``rate`` per second for ``seconds``) and ``GET /commands``
(one row per command: kind, first response, answered, completed, outcome).

First response is stamped inside the sandbox: the sandbox clock when the interaction was
dispatched to the bot's websocket (``InteractionRecord.dispatched_at``) to the moment the
bot's first callback (reply, defer or update) reached the sandbox's REST handler
(``InteractionRecord.acknowledge``). "answered" is when the command counted as answered
(a reply, or the follow-up after a defer); "completed" is what ``Sandbox.run_command``
returns after, i.e. answered plus ``invoking.QUIET_SECONDS`` of quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import math
import os
import random
import signal
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web

import bot.sandbox.fake_discord.server as sandbox_server
from bench.support.databases import database_fields
from bench.support.delivery import SandboxInfo, bound_port, counting_build_app, point_discord_at
from bench.support.loop_watchdog import LoopWatchdog
from bot.app.runtime import open_newsdesk
from bot.app.settings import Settings
from bot.core.models import TEXT_CHANNEL, FeedSnapshot
from bot.sandbox.fake_discord import Sandbox, SandboxWorld
from bot.sandbox.fake_discord.state import ShardingOptions
from bot.sandbox.fake_discord.world import OWNER_USER_ID, UserSpec
from cogs.backend.errors import APOLOGY
from storage import Database, Repositories

ROOT = Path(__file__).resolve().parents[2]
MODULE = "bench.support.soak"  # what the child processes run, from ROOT
HOST = "127.0.0.1"
ITEMS_IN_FEED = 10
CHANNEL_OFFSETS = (2, 3, 4)  # #news, #world, #tech in a standard sandbox guild
ADMIN_ROLE_OFFSET = 11
EXTRA_USER_BASE = 1_370_000_000_000_000_000
MAX_IN_FLIGHT = 64
COMMAND_TIMEOUT = 15.0
START_TIMEOUT = 60.0
VOCABULARY_SIZE = 3000
WORDS_PER_PARAGRAPH = 40
PARAGRAPHS = 3
COMMAND_KINDS = ("help", "feed list", "feed status", "search", "feed why")
SHARD_DOWN = "shard down"  # the outcome of a command typed while its shard had no process

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    """Everything the processes must agree on."""

    guilds: int = 1000
    feeds: int = 2000
    subscriptions: int = 5000
    item_rate: float = 3.0
    poll_interval: int = 60
    scheduler_tick: float = 5.0
    per_host_limit: int = 10
    command_rate: float = 5.0
    seed: int = 20_261_108
    lifetime_seconds: float = 3 * 3600.0
    # The sandbox's gateway: the shard count `GET /gateway/bot` recommends (None: one per
    # thousand guilds, as Discord) and its `max_concurrency`.
    shard_count: int | None = None
    max_concurrency: int = 1
    # The farm's hosts: feed n and its articles live on 127.0.0.{1 + n % hosts} (one port),
    # so pollers, which share hosts out between them, all have feeds to check.
    hosts: int = 1

    @property
    def per_guild(self) -> int:
        """Subscriptions per guild."""
        return self.subscriptions // self.guilds

    @property
    def period(self) -> float:
        """Seconds between two items of one feed."""
        return self.feeds / self.item_rate

    def check(self) -> None:
        """Raise ValueError for a plan the layout cannot hold."""
        if self.subscriptions % self.guilds:
            raise ValueError("subscriptions must be a multiple of guilds")
        if not 1 <= self.per_guild <= min(self.feeds, 3 * len(CHANNEL_OFFSETS)):
            raise ValueError("between 1 and 9 subscriptions per guild, and no more than feeds")
        if self.feeds > self.subscriptions:
            raise ValueError("every feed needs at least one subscription")

    def save(self, path: Path) -> None:
        """Write the plan as JSON."""
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Plan:
        """Read a plan written by ``save``."""
        return cls(**json.loads(path.read_text()))

    # -- layout

    def feed_base(self, base: str, n: int) -> str:
        """The farm's address ``base`` (on 127.0.0.1) moved to the host of feed ``n``."""
        if self.hosts == 1:
            return base
        return base.replace(f"//{HOST}:", f"//127.0.0.{1 + n % self.hosts}:", 1)

    def subscription(self, j: int) -> tuple[int, int, int]:
        """Subscription ``j``: (guild index, feed index, channel offset)."""
        guild, slot = divmod(j, self.per_guild)
        return guild, j % self.feeds, CHANNEL_OFFSETS[slot % len(CHANNEL_OFFSETS)]

    def feeds_of_guild(self, guild: int) -> list[int]:
        """The feed indices guild ``guild`` follows."""
        first = guild * self.per_guild
        return [(first + slot) % self.feeds for slot in range(self.per_guild)]

    # -- schedule

    def item_time(self, n: int, k: int, start: float) -> float:
        """Publication time (epoch seconds) of item ``k`` of feed ``n``."""
        return start + (n + 0.5) / self.feeds * self.period + k * self.period

    def published(self, n: int, start: float, until: float) -> int:
        """How many items feed ``n`` has published by ``until``."""
        first = self.item_time(n, 0, start)
        if until < first:
            return 0
        return int((until - first) // self.period) + 1


def vocabulary(seed: int) -> list[str]:
    """A fixed made-up vocabulary: pronounceable, distinct, lower-case words."""
    rng = random.Random(seed)
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: set[str] = set()
    for _ in range(VOCABULARY_SIZE * 20):
        if len(words) >= VOCABULARY_SIZE:
            break
        syllables = rng.randint(2, 4)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables)))
    return sorted(words)


def article_url(base: str, n: int, k: int) -> str:
    """The address of item ``k`` of feed ``n`` on the farm at ``base``.

    Numbers are written with five digits: a path part of four (``/articles/1997/0.html``)
    reads as a year to the reader's date extraction, which then dates the article 1997 and
    the story desk holds it back as too old (Newsdesk's rule, right for a real dated path).
    """
    return f"{base}/articles/{n:05d}/{k:05d}.html"


@dataclass(frozen=True)
class ArticleText:
    """The made-up text of one article."""

    title: str
    paragraphs: list[str]

    @property
    def summary(self) -> str:
        """The feed's description: the first paragraph."""
        return self.paragraphs[0]


def article_text(words: Sequence[str], seed: int, n: int, k: int) -> ArticleText:
    """The text of item ``k`` of feed ``n`` (the same in every process)."""
    rng = random.Random(f"{seed}:{n}:{k}")
    title = " ".join(rng.choice(words) for _ in range(7)).capitalize() + f" ({n}.{k})"
    paragraphs = [
        " ".join(rng.choice(words) for _ in range(WORDS_PER_PARAGRAPH)).capitalize() + "."
        for _ in range(PARAGRAPHS)
    ]
    return ArticleText(title, paragraphs)


# ---------------------------------------------------------------- the feed farm


@dataclass
class FarmClock:
    """When items start and stop being published (set by the bench)."""

    start: float = math.inf
    end: float = math.inf

    def now(self) -> float:
        """The latest publication time visible now."""
        return min(time.time(), self.end)


def feed_body(
    plan: Plan, words: Sequence[str], base: str, n: int, *, count: int, start: float
) -> bytes:
    """RSS 2.0 for feed ``n`` after ``count`` items (the latest ``ITEMS_IN_FEED``)."""
    base = plan.feed_base(base, n)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Soak wire {n}</title><link>{base}/site/{n}/</link>",
        f"<description>Synthetic feed {n} for the Newsdesk soak</description>",
    ]
    for k in range(count - 1, max(-1, count - 1 - ITEMS_IN_FEED), -1):
        text = article_text(words, plan.seed, n, k)
        published = formatdate(plan.item_time(n, k, start), usegmt=True)
        parts.append(
            f"<item><title>{escape(text.title)}</title>"
            f"<link>{article_url(base, n, k)}</link>"
            f'<guid isPermaLink="false">soak:{n}:{k}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<description>{escape(text.summary)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def article_page(text: ArticleText, url: str) -> bytes:
    """The HTML page of one article."""
    body = "".join(f"<p>{escape(p)}</p>" for p in text.paragraphs)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(text.title)}</title>"
        f"<meta property='og:title' content='{escape(text.title)}'>"
        f"<meta property='og:url' content='{escape(url)}'>"
        "<meta name='author' content='Soak Desk'></head><body>"
        f"<article><h1>{escape(text.title)}</h1><p class='byline'>By Soak Desk</p>{body}"
        "</article></body></html>"
    ).encode()


def farm_app(plan: Plan, clock: FarmClock, base: Callable[[], str]) -> web.Application:
    """The farm: feeds, article pages, stats and the start switch."""
    words = vocabulary(plan.seed)
    counts: Counter[str] = Counter()

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if not 0 <= n < plan.feeds:
            return web.Response(status=404)
        count = plan.published(n, clock.start, clock.now())
        etag = f'"{n}-{count}"'
        headers = {"ETag": etag}
        if request.headers.get("If-None-Match") == etag:
            counts["feed_304"] += 1
            return web.Response(status=304, headers=headers)
        counts["feed_200"] += 1
        headers["Content-Type"] = "application/rss+xml; charset=utf-8"
        body = feed_body(plan, words, base(), n, count=count, start=clock.start)
        return web.Response(body=body, headers=headers)

    async def article(request: web.Request) -> web.Response:
        n, k = int(request.match_info["n"]), int(request.match_info["k"])
        if not (0 <= n < plan.feeds and 0 <= k < plan.published(n, clock.start, clock.now())):
            counts["article_404"] += 1
            return web.Response(status=404)
        counts["article_200"] += 1
        text = article_text(words, plan.seed, n, k)
        page = article_page(text, article_url(plan.feed_base(base(), n), n, k))
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    async def start(request: web.Request) -> web.Response:
        data = await request.json()
        clock.start, clock.end = float(data["start"]), float(data["end"])
        return web.json_response({"ok": True})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(dict(counts))

    app = web.Application()
    app.router.add_get(r"/feeds/{n:\d+}.xml", feed)
    app.router.add_get(r"/articles/{n:\d+}/{k:\d+}.html", article)
    app.router.add_post("/_farm/start", start)
    app.router.add_get("/_farm/stats", stats)
    return app


async def serve_farm(plan: Plan, info_path: Path) -> None:
    """Run the farm until SIGTERM or the plan's lifetime."""
    clock = FarmClock()
    LoopWatchdog().start()
    bound: list[str] = []
    runner = web.AppRunner(
        farm_app(plan, clock, lambda: bound[0]), access_log=None, shutdown_timeout=1.0
    )
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0, backlog=1024)
    await site.start()
    port = bound_port(runner)
    for host in range(2, plan.hosts + 1):  # the same port on 127.0.0.2 … 127.0.0.N
        await web.TCPSite(runner, f"127.0.0.{host}", port, backlog=1024).start()
    bound.append(f"http://{HOST}:{port}")
    _write_info(info_path, {"base": bound[0]})
    try:
        await _serve_until_stopped(plan.lifetime_seconds)
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------- the sandbox world


def extra_user_names(index: int) -> tuple[str, str]:
    """The editor (Manage Server) and the reader (no permission) of guild ``index``."""
    return f"editor{index:04d}", f"reader{index:04d}"


def soak_world(plan: Plan) -> SandboxWorld:
    """The sandbox world of the plan; "owner" owns the guilds and the application."""

    world = SandboxWorld.default()
    world.app_owner_id = OWNER_USER_ID  # a guild owner (Administrator) may run /sync
    for index in range(1, plan.guilds):
        world.add_guild(f"Soak {index:04d}")
    for index, guild in enumerate(world.guilds):
        editor, reader = extra_user_names(index)
        editor_id, reader_id = EXTRA_USER_BASE + 2 * index, EXTRA_USER_BASE + 2 * index + 1
        world.users += [UserSpec(editor_id, editor), UserSpec(reader_id, reader)]
        guild.members[editor_id] = (guild.id + ADMIN_ROLE_OFFSET,)
        guild.members[reader_id] = ()
    return world


def guild_ids(plan: Plan) -> list[int]:
    """The guild ids, index order (derived the way ``SandboxWorld.add_guild`` derives them)."""
    return [g.id for g in soak_world(plan).guilds]


# ---------------------------------------------------------------- the command driver


@dataclass
class Stamp:
    """When the bot first answered an interaction, on the sandbox clock."""

    first: float | None = None
    answered: float | None = None


@dataclass
class CommandRow:
    """One command of the stream."""

    kind: str
    guild: int
    sent_at: float
    first_response: float | None = None
    answered: float | None = None
    completed: float | None = None
    outcome: str = "pending"


@dataclass
class Driver:
    """Types the command stream into a running sandbox and keeps what happened."""

    plan: Plan
    sandbox: Sandbox
    farm_base: str
    start: float
    rows: list[CommandRow] = field(default_factory=list)
    stamps: dict[int, Stamp] = field(default_factory=dict)
    done: bool = False
    skipped: int = 0

    def install(self) -> None:
        """Stamp every interaction's first callback and its answer as they happen."""
        registry = self.sandbox.state.interactions
        clock = self.sandbox.state.clock
        create = registry.create

        def stamping_create(*args: Any, **kwargs: Any) -> Any:
            record = create(*args, **kwargs)
            stamp = self.stamps[record.id] = Stamp()
            acknowledge, resolve = record.acknowledge, record.resolve_deferred

            def stamped_acknowledge(response_type: int) -> None:
                if stamp.first is None:
                    stamp.first = clock.now() - record.dispatched_at
                acknowledge(response_type)
                if stamp.answered is None and record.answered.is_set():
                    stamp.answered = clock.now() - record.dispatched_at

            def stamped_resolve() -> None:
                resolve()
                if stamp.answered is None and record.answered.is_set():
                    stamp.answered = clock.now() - record.dispatched_at

            record.acknowledge = stamped_acknowledge  # type: ignore[method-assign]
            record.resolve_deferred = stamped_resolve  # type: ignore[method-assign]
            return record

        registry.create = stamping_create  # type: ignore[method-assign]

    def shard_connected(self, guild_id: int) -> bool:
        """Whether a bot process holds a socket on the shard of this guild now."""
        return any(
            session.socket is not None and session.receives(guild_id)
            for session in self.sandbox.state.gateway.sessions.values()
        )

    def line_for(self, rng: random.Random, kind: str, guild: int, words: Sequence[str]) -> str:
        """The typed line of one command."""
        if kind == "search":
            return f"/search query:{rng.choice(words)}"
        if kind == "feed why":
            now = time.time()
            feeds = self.plan.feeds_of_guild(guild)
            rng.shuffle(feeds)
            for n in feeds:
                count = self.plan.published(n, self.start, now)
                if count:
                    base = self.plan.feed_base(self.farm_base, n)
                    return f"/feed why url:{article_url(base, n, rng.randrange(count))}"
            base = self.plan.feed_base(self.farm_base, feeds[0])
            return f"/feed why url:{article_url(base, feeds[0], 0)}"
        return f"/{kind}"

    async def run(self, rate: float, seconds: float) -> None:
        """Send ``rate`` commands per second for ``seconds``, each from a random guild."""
        rng = random.Random(self.plan.seed)
        words = vocabulary(self.plan.seed)
        world = self.sandbox.world
        total = int(rate * seconds)
        tasks: set[asyncio.Task[None]] = set()
        began = time.monotonic()
        for index in range(total):
            delay = began + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(tasks) >= MAX_IN_FLIGHT:
                self.skipped += 1
                continue
            guild = rng.randrange(self.plan.guilds)
            kind = COMMAND_KINDS[index % len(COMMAND_KINDS)]
            editor, reader = extra_user_names(guild)
            user = reader if kind in ("help", "search") else editor
            line = self.line_for(rng, kind, guild, words)
            row = CommandRow(kind, guild, time.time())
            self.rows.append(row)
            if not self.shard_connected(world.guilds[guild].id):
                # The process running this guild's shard is gone (the distributed soak
                # kills it): Discord would tell the person "The application did not
                # respond". Counted apart, never typed.
                row.outcome = SHARD_DOWN
                continue
            task = asyncio.create_task(
                self._one(row, line, user, world.guilds[guild].name), name=f"command-{index}"
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=COMMAND_TIMEOUT + 5.0)
        self.done = True

    async def _one(self, row: CommandRow, line: str, user: str, guild_name: str) -> None:
        started = time.monotonic()
        try:
            outcome = await self.sandbox.run_command(
                line, user=user, channel="general", guild=guild_name, timeout=COMMAND_TIMEOUT
            )
        except Exception as error:  # a sandbox bug must not stop the stream
            row.outcome = f"error: {error!r}"
            return
        row.completed = time.monotonic() - started
        interaction_ids = {m.interaction_id for m in outcome.messages}
        stamp = next((self.stamps[i] for i in interaction_ids if i in self.stamps), None)
        if stamp is not None:
            row.first_response, row.answered = stamp.first, stamp.answered
        if outcome.refused is not None:
            row.outcome = f"refused: {outcome.refused}"
        elif outcome.timed_out:
            row.outcome = "timed out"
        elif not outcome.messages:
            row.outcome = "no message"
        elif any(m.content == APOLOGY for m in outcome.messages):
            row.outcome = "apology"
        else:
            row.outcome = "ok"


# ---------------------------------------------------------------- the sandbox process


async def _freeze_heap_regularly(every: float = 5.0) -> None:
    """Keep the sandbox's full garbage collections short as its records pile up.

    The sandbox keeps every message and interaction of the soak (tens of thousands of
    dicts); each full collection walked them all and froze its loop for about 0.3 s. Requests
    the bot had spaced evenly then reached the rate limiter together and were counted in one
    window: 429s made by the harness, not by the bot. Frozen objects are skipped by the
    collector (they are never cyclic garbage here: the records live until the end).

    The heap is frozen at once (the world just built) and then every few seconds: with the
    first freeze 30 s in, the quick soak's first full collection came before it, during the
    kills and the deliveries (0.18 s in one run's watchdog; in another the sandbox stamped no
    request for 1.2 s at the same point: issue 18's traces), and the requests it held were
    counted together past a window's start (55 in one second, from a bot sending 47).
    """
    while True:
        gc.freeze()
        await asyncio.sleep(every)


async def serve_sandbox(plan: Plan, info_path: Path) -> None:
    """Run the sandbox, its control server and (when asked) the command stream."""

    statuses: Counter[int] = Counter()
    answered: Counter[str] = Counter()
    limits: Counter[str] = Counter()
    sandbox_server.build_app = counting_build_app(statuses, answered, limits)  # type: ignore[attr-defined,assignment]
    world_started = time.perf_counter()
    world = soak_world(plan)
    world_seconds = time.perf_counter() - world_started
    drivers: list[Driver] = []
    watchdog = LoopWatchdog()
    watchdog.start()
    background: set[asyncio.Task[None]] = set()
    background.add(asyncio.create_task(_freeze_heap_regularly()))
    sharding = ShardingOptions(
        recommended_shards=plan.shard_count, max_concurrency=plan.max_concurrency
    )
    async with Sandbox(world=world, sharding=sharding) as sandbox:

        async def stats(_: web.Request) -> web.Response:
            state = sandbox.state
            hub = state.gateway
            return web.json_response(
                {
                    "posts": sandbox.post_count,
                    "records": len(state.records),
                    "rate_limit_hits": sandbox.rate_limit_hits,
                    "rate_limit_refusals": [list(r) for r in sandbox.rate_limit_refusals],
                    "rate_limits": dict(limits),
                    "statuses": {str(code): statuses[code] for code in (401, 403, 429)},
                    "connected_shards": [list(shard) for shard in hub.connected_shards()],
                    # (shard id, shard count, epoch seconds): the gateway stamps its own
                    # monotonic clock; the bench compares with its kills' wall clock.
                    "identifies": [
                        [*i.shard, state.clock.wall_time() - (state.clock.now() - i.at)]
                        for i in hub.identifies
                    ],
                    "refused_identifies": hub.refused_identifies,
                    "nonce_replays": sum(count - 1 for count in answered.values()),
                    "unknown_routes": sandbox.unknown_routes,
                    "ready": state.gateway.ready.is_set(),
                    "identify_count": state.gateway.identify_count,
                    "commands_synced": state.commands_synced.is_set(),
                    "global_commands": len(state.commands.get(None, [])),
                    "guilds": len(world.guilds),
                    "world_seconds": world_seconds,
                }
            )

        async def posts(_: web.Request) -> web.Response:
            return web.json_response(
                [
                    {
                        "url": m.embeds[0].get("url") if m.embeds else None,
                        "channel_id": m.channel_id,
                        "nonce": m.nonce,
                        "at": m.created_at.timestamp(),
                    }
                    for m in sandbox.state.records
                    if m.kind == "post"
                ]
            )

        async def posts_since(request: web.Request) -> web.Response:
            """The posts among the records from ``index`` on, and where to look next."""
            records = sandbox.state.records
            first = int(request.query.get("index", "0"))
            return web.json_response(
                {
                    "next": len(records),
                    "posts": [
                        {
                            "url": m.embeds[0].get("url") if m.embeds else None,
                            "channel_id": m.channel_id,
                            "at": m.created_at.timestamp(),
                        }
                        for m in records[first:]
                        if m.kind == "post"
                    ],
                }
            )

        async def sync(_: web.Request) -> web.Response:
            outcome = await sandbox.run_command(
                "/sync scope:global", user="owner", channel="general", timeout=COMMAND_TIMEOUT
            )
            return web.json_response(
                {
                    "refused": outcome.refused,
                    "timed_out": outcome.timed_out,
                    "contents": outcome.contents,
                    "global_commands": len(sandbox.state.commands.get(None, [])),
                }
            )

        async def start_commands(request: web.Request) -> web.Response:
            data = await request.json()
            driver = Driver(plan, sandbox, str(data["farm_base"]), float(data["start"]))
            driver.install()
            drivers.append(driver)
            task = asyncio.create_task(
                driver.run(float(data["rate"]), float(data["seconds"])), name="command-stream"
            )
            background.add(task)
            task.add_done_callback(background.discard)
            return web.json_response({"ok": True})

        async def commands(_: web.Request) -> web.Response:
            if not drivers:
                return web.json_response({"done": False, "rows": [], "skipped": 0})
            driver = drivers[-1]
            return web.json_response(
                {
                    "done": driver.done,
                    "skipped": driver.skipped,
                    "rows": [asdict(row) for row in driver.rows],
                }
            )

        app = web.Application()
        app.router.add_get("/stats", stats)
        app.router.add_get("/posts", posts)
        app.router.add_get("/posts/since", posts_since)
        app.router.add_post("/sync", sync)
        app.router.add_post("/commands", start_commands)
        app.router.add_get("/commands", commands)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        _write_info(
            info_path,
            {
                "api_base": sandbox.api_base,
                "gateway_url": sandbox.gateway_url,
                "control_url": f"http://{HOST}:{bound_port(runner)}",
                "token": sandbox.bot_token,
                "guild_id": world.guild_id,
                "channel_ids": [],
            },
        )
        try:
            await _serve_until_stopped(plan.lifetime_seconds)
        finally:
            for task in list(background):
                task.cancel()
            await runner.cleanup()


# ---------------------------------------------------------------- the bot process


def soak_settings(plan: Plan, info: SandboxInfo, database: Path | str) -> Settings:
    """The bot's settings: sandbox token and guild, the plan's poll interval and tick.

    ``per_host_limit`` is raised from 2: every feed and page of the farm is on 127.0.0.1,
    where in production 2,000 feeds sit on hundreds of hosts (``Fetcher._slot`` keys its
    semaphore on the host name alone).
    """
    return Settings(
        discord_token=info.token,
        dev_guild_id=info.guild_id,
        **database_fields(database),
        log_level="WARNING",
        scheduler_tick_seconds=plan.scheduler_tick,
        default_interval_seconds=plan.poll_interval,
        min_interval_seconds=plan.poll_interval,
        per_host_limit=plan.per_host_limit,
        allow_private_addresses=True,
    )


async def run_bot(plan: Plan, sandbox_info: Path, database_path: Path, ready_path: Path) -> None:
    """The bot process: the unmodified bot on ``database_path`` until SIGTERM."""

    info = SandboxInfo.load(sandbox_info)
    point_discord_at(info)
    settings = soak_settings(plan, info, database_path)
    started = time.perf_counter()
    watchdog = LoopWatchdog()
    watchdog.start()
    tracing: set[asyncio.Task[None]] = set()
    if os.environ.get("SOAK_TRACEMALLOC"):
        every = float(os.environ["SOAK_TRACEMALLOC"])
        tracing.add(asyncio.create_task(_log_allocation_growth(every)))
    # As `newsdesk run` does: the start-up heap is frozen once the guilds are cached.
    async with open_newsdesk(
        settings, guild_ready_timeout=0.1, freeze_heap_when_ready=True
    ) as newsdesk:
        runner = asyncio.create_task(newsdesk.start(info.token), name="newsdesk-bot")
        try:
            async with asyncio.timeout(START_TIMEOUT):
                while not newsdesk.is_ready():
                    if runner.done():
                        runner.result()
                        raise RuntimeError("the bot stopped before it was ready")
                    await asyncio.sleep(0.05)
            _write_info(
                ready_path,
                {"ready_seconds": time.perf_counter() - started, "guilds": len(newsdesk.guilds)},
            )
            stop = asyncio.create_task(_serve_until_stopped(plan.lifetime_seconds))
            await asyncio.wait({runner, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
        finally:
            await newsdesk.close()
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner


async def _log_allocation_growth(every: float) -> None:
    """Log where memory grew since the previous snapshot (SOAK_TRACEMALLOC=seconds)."""
    tracemalloc.start(8)
    await asyncio.sleep(every)
    previous = tracemalloc.take_snapshot()
    while True:
        await asyncio.sleep(every)
        current = tracemalloc.take_snapshot()
        top = current.compare_to(previous, "traceback")[:12]
        lines = [f"traced {tracemalloc.get_traced_memory()[0] / 1e6:.1f} MB; grew since last:"]
        for stat in top:
            lines.append(f"{stat.size_diff / 1e6:+.2f} MB ({stat.count_diff:+d} blocks)")
            lines.extend("    " + line for line in stat.traceback.format()[-8:])
        logging.getLogger("bench.memory").warning("\n".join(lines))
        previous = current


# ---------------------------------------------------------------- seeding (bench process)


async def seed(plan: Plan, database: Path | str, farm_base: str) -> int:
    """Subscribe every (guild, channel, feed) of the plan through the repositories.

    Every feed starts empty (ETag ``"n-0"``, nothing seen) and is first due at a moment
    spread evenly over one poll interval, so polling is smooth from the start.
    """

    ids = guild_ids(plan)
    words = vocabulary(plan.seed)
    opened = await Database.open(database)
    try:
        repositories = Repositories.over(opened)
        now = datetime.now(UTC)
        for j in range(plan.subscriptions):
            guild, n, offset = plan.subscription(j)
            snapshot = FeedSnapshot(
                url=f"{plan.feed_base(farm_base, n)}/feeds/{n}.xml",
                title=f"Soak wire {n}",
                site_url=f"{plan.feed_base(farm_base, n)}/site/{n}/",
                etag=f'"{n}-0"',
                last_modified=None,
                body_sha256=hashlib.sha256(
                    feed_body(plan, words, farm_base, n, count=0, start=0.0)
                ).hexdigest(),
                interval_seconds=plan.poll_interval,
                next_check_at=now + timedelta(seconds=plan.poll_interval * n / plan.feeds),
                entries=[],
            )
            await repositories.subscriptions.subscribe(
                ids[guild], ids[guild] + offset, snapshot, created_by=OWNER_USER_ID, now=now,
                max_feeds=100, channel_kind=TEXT_CHANNEL,  # as /feed add records a text channel
            )
        return plan.subscriptions
    finally:
        await opened.close()


def expected_pairs(
    plan: Plan, farm_base: str, start: float, end: float
) -> frozenset[tuple[str, int]]:
    """Every (article URL, channel id) the soak must post: items published by ``end``."""
    ids = guild_ids(plan)
    channels: dict[int, list[int]] = {}
    for j in range(plan.subscriptions):
        guild, n, offset = plan.subscription(j)
        channels.setdefault(n, []).append(ids[guild] + offset)
    return frozenset(
        (article_url(plan.feed_base(farm_base, n), n, k), channel)
        for n in range(plan.feeds)
        for k in range(plan.published(n, start, end))
        for channel in channels[n]
    )


# ---------------------------------------------------------------- processes


def _write_info(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    partial.replace(path)


async def _serve_until_stopped(max_seconds: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max_seconds)


class Child:
    """One child process running this module (``python -m bench.support.soak ARGS``); stopped
    (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, args: Sequence[str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", MODULE, *args],
                stdout=output, stderr=subprocess.STDOUT, cwd=ROOT,
            )

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    async def wait_for_file(self, path: Path, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until the child wrote ``path``; return its JSON."""
        deadline = time.monotonic() + timeout
        while not path.exists():  # noqa: ASYNC240 (a tiny local file)
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.log_path.stem} process exited; see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.log_path.stem} process did not start in time")
            await asyncio.sleep(0.05)
        found: dict[str, Any] = json.loads(path.read_text())  # noqa: ASYNC240
        return found

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the child; kill it if it does not stop in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Control:
    """JSON over HTTP to the farm and the sandbox control servers."""

    def __init__(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._session.close()

    async def get(self, url: str) -> Any:
        """GET ``url`` as JSON."""
        async with self._session.get(url) as response:
            response.raise_for_status()
            return await response.json()

    async def post(self, url: str, data: dict[str, Any]) -> Any:
        """POST ``data`` to ``url``; return the JSON answer."""
        async with self._session.post(url, json=data) as response:
            response.raise_for_status()
            return await response.json()


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run one of the soak's processes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("role", choices=("farm", "sandbox", "bot"))
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--info", type=Path)
    parser.add_argument("--sandbox-info", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--ready", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    plan = Plan.load(args.plan)
    if args.role == "farm":
        asyncio.run(serve_farm(plan, args.info))
    elif args.role == "sandbox":
        asyncio.run(serve_sandbox(plan, args.info))
    else:
        asyncio.run(run_bot(plan, args.sandbox_info, args.db, args.ready))
    return 0


if __name__ == "__main__":
    sys.exit(main())
