"""Shared helpers of the delivery benches: a sandbox process, a bot process, seeding, tallies.

Run as a module, it is one of the two processes the benches start::

    python -m bench.support.delivery sandbox --channels 50 --info PATH   # the sandbox Discord
    python -m bench.support.delivery bot --info PATH --db PATH           # the real bot

The sandbox process serves ``bot.sandbox.Sandbox`` (Discord's limits enforced) over a world
whose primary guild has ``--channels`` extra text channels (``burst-000``…), plus a small
control server on another 127.0.0.1 port: ``GET /stats`` (posts recorded, 429s served, the
401/403/429 answers and the nonce replays (a create answered with an earlier message)
counted by a middleware added here) and ``GET /posts`` (every recorded
post: id, channel, nonce, embed URL, arrival time). It writes its URLs to ``--info`` as JSON
and serves until SIGTERM. The bot process points discord.py at those URLs the way
``Sandbox.patch_discord()`` does and runs the unmodified bot on ``--db`` until SIGTERM
(or SIGKILL, which is the point of the crash test).

Seeding goes through the repositories: every channel subscribes to one bench feed (nothing
queued), then one ``ArticleRepository.ingest`` stores ``per_channel`` articles and writes
their outbox rows, one per (article, channel), in a single transaction: the whole burst is
ready at once, ordered article by article as a poll would queue it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord.gateway
import discord.http
import yarl
from aiohttp import web

import bot.sandbox.fake_discord.server as sandbox_server
from bench.support.databases import database_fields, database_option
from bot.app.runtime import open_newsdesk
from bot.app.settings import Settings
from bot.core.models import (
    TEXT_CHANNEL,
    Article,
    ArticleDetails,
    ArticleReading,
    FeedCheck,
    FeedSnapshot,
    NewArticle,
)
from bot.discord_io.client import NewsdeskBot
from bot.sandbox.fake_discord import Sandbox, SandboxWorld
from bot.sandbox.fake_discord.rate_limits import GLOBAL_LIMIT, ROUTE_LIMITS
from bot.sandbox.fake_discord.rest import API_PREFIXES, build_app
from bot.sandbox.fake_discord.state import SandboxState
from bot.sandbox.fake_discord.world import ADMIN_USER_ID, ChannelSpec
from storage import Database, Repositories

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
MODULE = "bench.support.delivery"  # what the child processes run, from ROOT
HOST = "127.0.0.1"
FEED_URL = "https://bench.example/wire.xml"
FEED_TITLE = "Bench Wire"
ARTICLE_URL = "https://bench.example/story-{number}"
CHANNEL_ID_OFFSET = 1000
MAX_CHANNELS = 500
START_TIMEOUT = 30.0
READY_TIMEOUT = 30.0
SANDBOX_MAX_SECONDS = 3600.0
BOT_MAX_SECONDS = 3600.0
MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"
INVALID_STATUSES = (401, 403, 429)


# ---------------------------------------------------------------- limits and the minimum


@dataclass(frozen=True)
class BurstMinimum:
    """The least wall time a burst can take under the sandbox's (Discord's) limits."""

    per_channel_seconds: float
    global_seconds: float
    global_fixed_window_seconds: float

    @property
    def seconds(self) -> float:
        """The minimum: the tighter of the per-channel and the global bound."""
        return max(self.per_channel_seconds, self.global_seconds)


def burst_minimum(posts: int, channels: int) -> BurstMinimum:
    """Compute the minimum for ``posts`` spread evenly over ``channels`` from the limits.

    Per channel: k posts at ``limit`` per ``window`` fixed windows need ceil(k / limit)
    windows, and the last one opens (window count - 1) x window after the first request.
    Globally: ``posts / rate`` (the brief's figure); with fixed one-second windows opening
    on the first request the last batch could go at ceil(posts / limit) - 1 seconds,
    reported alongside.
    """
    limit, window = ROUTE_LIMITS[MESSAGE_ROUTE]
    global_limit, global_window = GLOBAL_LIMIT
    per_channel = math.ceil(posts / channels)
    return BurstMinimum(
        per_channel_seconds=(math.ceil(per_channel / limit) - 1) * window,
        global_seconds=posts * global_window / global_limit,
        global_fixed_window_seconds=(math.ceil(posts / global_limit) - 1) * global_window,
    )


# ---------------------------------------------------------------- the sandbox process


@dataclass(frozen=True)
class SandboxInfo:
    """Where a sandbox process serves, and the ids the benches post to."""

    api_base: str
    gateway_url: str
    control_url: str
    token: str
    guild_id: int
    channel_ids: list[int]

    @classmethod
    def load(cls, path: Path) -> SandboxInfo:
        """Read the JSON file a sandbox process wrote."""
        return cls(**json.loads(path.read_text()))


def bench_world(channels: int) -> SandboxWorld:
    """The default world with ``channels`` more text channels in its primary guild."""
    if not 1 <= channels <= MAX_CHANNELS:
        raise ValueError(f"channels must be between 1 and {MAX_CHANNELS}")
    world = SandboxWorld.default()
    guild = world.primary
    base = len(guild.channels)
    for index in range(channels):
        guild.channels.append(
            ChannelSpec(guild.id + CHANNEL_ID_OFFSET + index, f"burst-{index:03d}", base + index)
        )
    return world


def burst_channel_ids(world: SandboxWorld) -> list[int]:
    """The ids of the bench's channels, in order."""
    return [c.id for c in world.primary.channels if c.name.startswith("burst-")]


def counting_build_app(
    statuses: Counter[int], answered: Counter[str], limits: Counter[str] | None = None
) -> Callable[[SandboxState], web.Application]:
    """Wrap the sandbox's app factory with a middleware counting 401/403/429 answers and
    message creates answered per message id (a repeat is a resend the nonce absorbed).

    ``limits`` (when given) counts the 429s by the limit that refused them: ``global``, or
    the route (``POST /channels/{channel_id}/messages``) for a per-route bucket.
    """

    @web.middleware
    async def count_invalid(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            if error.status in INVALID_STATUSES:
                statuses[error.status] += 1
            raise
        if response.status in INVALID_STATUSES:
            statuses[response.status] += 1
        if response.status == 429 and limits is not None:
            limits[limit_of_refusal(request, response)] += 1
        is_create = request.method == "POST" and request.path.endswith("/messages")
        if is_create and response.status == 200 and isinstance(response, web.Response):
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                answered[str(json.loads(bytes(response.body))["id"])] += 1  # type: ignore[arg-type]
        return response

    def build(state: SandboxState) -> web.Application:
        app = build_app(state)
        app.middlewares.insert(0, count_invalid)  # outermost: sees every final status
        return app

    return build


def limit_of_refusal(request: web.Request, response: web.StreamResponse) -> str:
    """``global`` for a 429 of the global limit, else the refused request's route."""
    if response.headers.get("X-RateLimit-Global") == "true":
        return "global"
    info = request.match_info.route.resource
    template = info.canonical if info is not None else request.path
    for prefix in API_PREFIXES:
        if template.startswith(prefix + "/"):
            template = template.removeprefix(prefix)
            break
    return f"{request.method} {template}"


def _control_app(
    sandbox: Sandbox, statuses: Counter[int], answered: Counter[str]
) -> web.Application:
    """The control server: what the sandbox recorded, as JSON."""

    async def stats(_: web.Request) -> web.Response:
        posts = sandbox.post_count
        return web.json_response(
            {
                "posts": posts,
                "rate_limit_hits": sandbox.rate_limit_hits,
                "statuses": {str(code): statuses[code] for code in INVALID_STATUSES},
                "unknown_routes": sandbox.unknown_routes,
                "nonce_replays": sum(count - 1 for count in answered.values()),
            }
        )

    async def posts(_: web.Request) -> web.Response:
        found = [
            {
                "id": m.id,
                "channel_id": m.channel_id,
                "nonce": m.nonce,
                "url": m.embeds[0].get("url") if m.embeds else None,
                "at": m.created_at.timestamp(),
            }
            for m in sandbox.state.records
            if m.kind == "post"
        ]
        return web.json_response(found)

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_get("/posts", posts)
    return app


async def serve_sandbox(channels: int, info_path: Path, max_seconds: float) -> None:
    """Run a sandbox and its control server until SIGTERM/SIGINT or ``max_seconds``."""
    statuses: Counter[int] = Counter()
    answered: Counter[str] = Counter()
    # Sandbox.start() builds its app through this module attribute; wrap it, in this process.
    sandbox_server.build_app = counting_build_app(statuses, answered)  # type: ignore[attr-defined,assignment]
    world = bench_world(channels)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with Sandbox(world=world) as sandbox:
        runner = web.AppRunner(_control_app(sandbox, statuses, answered), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        info = SandboxInfo(
            api_base=sandbox.api_base,
            gateway_url=sandbox.gateway_url,
            control_url=f"http://{HOST}:{bound_port(runner)}",
            token=sandbox.bot_token,
            guild_id=world.guild_id,
            channel_ids=burst_channel_ids(world),
        )
        partial = info_path.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(info)))
        partial.replace(info_path)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max_seconds)
        finally:
            await runner.cleanup()


def bound_port(runner: web.AppRunner) -> int:
    """The port an app runner's one TCP site listens on."""
    address = runner.addresses[0]
    return int(address[1])


def _spawn(args: Sequence[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m bench.support.delivery ARGS`` with its output in ``log_path``."""
    with log_path.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", MODULE, *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def _stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate a child we started; kill it if it does not stop within ``timeout``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


class SandboxProcess:
    """The sandbox running as its own process, so it outlives any bot process."""

    def __init__(self, channels: int, workdir: Path) -> None:
        self._channels = channels
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.info: SandboxInfo | None = None

    async def __aenter__(self) -> SandboxProcess:
        info_path = self._workdir / "sandbox.json"
        info_path.unlink(missing_ok=True)
        self._process = _spawn(
            ["sandbox", "--channels", str(self._channels), "--info", str(info_path)],
            self._workdir / "sandbox.log",
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not info_path.exists():
            if self._process.poll() is not None:
                raise RuntimeError(f"the sandbox process exited; see {self._workdir}/sandbox.log")
            if time.monotonic() > deadline:
                raise TimeoutError("the sandbox process did not start in time")
            await asyncio.sleep(0.05)
        self.info = SandboxInfo.load(info_path)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._process is not None:
            _stop(self._process)

    async def _get(self, path: str) -> Any:
        assert self._session is not None and self.info is not None
        async with self._session.get(self.info.control_url + path) as response:
            response.raise_for_status()
            return await response.json()

    async def stats(self) -> dict[str, Any]:
        """Posts recorded, 429s served and invalid answers counted so far."""
        found: dict[str, Any] = await self._get("/stats")
        return found

    async def posts(self) -> list[dict[str, Any]]:
        """Every post the sandbox recorded."""
        found: list[dict[str, Any]] = await self._get("/posts")
        return found


# ---------------------------------------------------------------- the bot


def point_discord_at(info: SandboxInfo) -> None:
    """Point discord.py's REST base and default gateway at a sandbox process (for good: for
    a process that only runs the bot)."""
    discord.http.Route.BASE = info.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(info.gateway_url)


@contextlib.contextmanager
def discord_pointed_at(info: SandboxInfo) -> Iterator[None]:
    """Point discord.py at a sandbox process; restore where it pointed on exit (for a bot
    run inside a process that goes on, such as a test's)."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_discord_at(info)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def bench_settings(info: SandboxInfo, database: Path | str) -> Settings:
    """Settings for the bot under bench: sandbox token and guild, no automatic polling, the
    database a file or a PostgreSQL address (``bench.support.databases``)."""
    return Settings(
        discord_token=info.token,
        dev_guild_id=info.guild_id,
        **database_fields(database),
        log_level="WARNING",
        scheduler_tick_seconds=3600.0,
        default_interval_seconds=86400,
        allow_private_addresses=True,
    )


@contextlib.asynccontextmanager
async def bench_storage(database_path: Path | str) -> AsyncIterator[Repositories]:
    """The bot's database through a connection of the bench's own (the bot hands out none)."""
    database = await Database.open(database_path)
    try:
        yield Repositories.over(database)
    finally:
        await database.close()


@contextlib.asynccontextmanager
async def running_bot(
    info: SandboxInfo, database_path: Path | str, **client_options: Any
) -> AsyncIterator[NewsdeskBot]:
    """Start the real bot against a sandbox process; yield it once it is ready."""
    settings = bench_settings(info, database_path)
    options = {"guild_ready_timeout": 0.1, **client_options}
    with discord_pointed_at(info):
        async with open_newsdesk(settings, **options) as newsdesk:
            runner = asyncio.create_task(newsdesk.start(info.token), name="newsdesk-bot")
            try:
                async with asyncio.timeout(READY_TIMEOUT):
                    while not newsdesk.is_ready():
                        if runner.done():
                            runner.result()
                            raise RuntimeError("the bot stopped before it was ready")
                        await asyncio.sleep(0.02)
                yield newsdesk
            finally:
                await newsdesk.close()
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner


async def run_bot(info_path: Path, database_path: Path | str, max_seconds: float) -> None:
    """The bot process: run the bot until SIGTERM/SIGINT or ``max_seconds``."""
    info = SandboxInfo.load(info_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running_bot(info, database_path):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max_seconds)


class BotProcess:
    """One run of the bot as a child process on a given database."""

    def __init__(self, info_path: Path, database_path: Path | str, log_path: Path) -> None:
        self._process = _spawn(
            ["bot", "--info", str(info_path), "--db", str(database_path)], log_path
        )

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self._process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process (unless it already exited) and reap it."""
        if self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)

    def stop(self) -> None:
        """Ask the process to stop (SIGTERM) and wait for it."""
        _stop(self._process, timeout=15.0)


# ---------------------------------------------------------------- seeding and tallies


@dataclass(frozen=True)
class Burst:
    """What was queued: the outbox rows and the (article URL, channel) pairs expected."""

    outbox_ids: list[int]
    expected: frozenset[tuple[str, int]]


async def subscribe_channels(
    repositories: Repositories, guild_id: int, channel_ids: Sequence[int], now: datetime
) -> int:
    """Subscribe every channel to the bench feed (nothing queued), each recorded as a text
    channel as ``/feed add`` records it; return the feed id."""
    snapshot = FeedSnapshot(
        url=FEED_URL, title=FEED_TITLE, site_url="https://bench.example/", etag=None,
        last_modified=None, body_sha256="0" * 64, interval_seconds=86400,
        next_check_at=now + timedelta(days=1), entries=[],
    )
    for channel_id in channel_ids:
        await repositories.subscriptions.subscribe(
            guild_id, channel_id, snapshot, created_by=ADMIN_USER_ID, now=now, max_feeds=10,
            channel_kind=TEXT_CHANNEL,
        )
    feed = await repositories.feeds.get_by_url(FEED_URL)
    assert feed is not None
    return int(feed.id)


async def queue_articles(
    repositories: Repositories,
    feed_id: int,
    channel_ids: Sequence[int],
    per_channel: int,
    now: datetime,
) -> Burst:
    """Store ``per_channel`` new articles in one ingest: one outbox row per (article, channel)."""
    articles = [
        NewArticle(
            entry_key=f"story-{number}",
            url=ARTICLE_URL.format(number=number),
            title=f"Bench story {number}: council agrees budget",
            summary=f"Paragraph for bench story {number}. It has two sentences.",
            author="Bench Desk",
            image_url=None,
            published_at=now - timedelta(minutes=per_channel - number),
            url_key=f"bench.example/story-{number}",
        )
        for number in range(1, per_channel + 1)
    ]
    check = FeedCheck(
        title=FEED_TITLE, site_url="https://bench.example/", etag=None, last_modified=None,
        body_sha256="1" * 64, next_check_at=now + timedelta(days=1),
    )
    outbox_ids = await repositories.articles.ingest(feed_id, articles, check, now)
    await read_articles(repositories, feed_id, outbox_ids, len(articles), now)
    expected = frozenset(
        (ARTICLE_URL.format(number=number), channel_id)
        for number in range(1, per_channel + 1)
        for channel_id in channel_ids
    )
    return Burst(outbox_ids, expected)


async def read_articles(
    repositories: Repositories, feed_id: int, outbox_ids: Sequence[int], count: int,
    now: datetime,
) -> None:
    """Record a reading of each new article, so rows the reader holds ('waiting') turn pending.

    The bench measures delivery, not reading: each article becomes its own story, read from
    the feed's text, through ``StoryRepository.record_reading`` as the reader would record it.
    Does nothing on a tree whose ingest queues rows as pending straight away.
    """
    first = await repositories.outbox.status(outbox_ids[0]) if outbox_ids else None
    if first is None or first.state.value != "waiting":
        return
    stories = repositories.stories
    latest: Sequence[Any] = await repositories.articles.latest_for_feed(feed_id, count)
    for item in reversed(latest):
        # (article, feed title) pairs on trees with the reader, bare articles before it
        article: Article = item[0] if isinstance(item, tuple) else item
        reading = ArticleReading(
            title=article.title, summary=article.summary, author=article.author,
            published_at=article.published_at, image_url=article.image_url, original_url=None,
            original_url_key=None, original_publisher=None, fingerprint=None,
            details=ArticleDetails(),
        )
        await stories.record_reading(article.id, reading, None, now)


async def seed_burst(
    repositories: Repositories, guild_id: int, channel_ids: Sequence[int], per_channel: int
) -> Burst:
    """Subscribe the channels, then queue the whole burst at once."""
    now = datetime.now(UTC)
    feed_id = await subscribe_channels(repositories, guild_id, channel_ids, now)
    return await queue_articles(repositories, feed_id, channel_ids, per_channel, now)


@dataclass(frozen=True)
class Tally:
    """Posts found in the sandbox against those expected, per (article, channel)."""

    expected: int
    delivered: int
    lost: int
    duplicated: int
    extra_posts: int
    repeated_nonces: int
    unexpected: int


async def outbox_states(repositories: Repositories, outbox_ids: Sequence[int]) -> dict[str, int]:
    """How many of these outbox rows are in each state (``missing``: no such row)."""
    states: Counter[str] = Counter()
    for outbox_id in outbox_ids:
        status = await repositories.outbox.status(outbox_id)
        states[status.state.value if status else "missing"] += 1
    return dict(states)


def tally(posts: Sequence[dict[str, Any]], expected: frozenset[tuple[str, int]]) -> Tally:
    """Count delivered, lost and duplicated (article, channel) pairs, and repeated nonces."""
    per_pair = Counter((str(p["url"]), int(p["channel_id"])) for p in posts)
    per_nonce = Counter(
        (str(p["nonce"]), int(p["channel_id"])) for p in posts if p["nonce"] is not None
    )
    return Tally(
        expected=len(expected),
        delivered=sum(1 for pair in expected if per_pair[pair] >= 1),
        lost=sum(1 for pair in expected if per_pair[pair] == 0),
        duplicated=sum(1 for pair in expected if per_pair[pair] > 1),
        extra_posts=sum(count - 1 for pair, count in per_pair.items() if count > 1),
        repeated_nonces=sum(1 for count in per_nonce.values() if count > 1),
        unexpected=sum(count for pair, count in per_pair.items() if pair not in expected),
    )


def invalid_requests(stats: dict[str, Any]) -> int:
    """The 401/403/429 answers the sandbox served."""
    return sum(int(v) for v in stats["statuses"].values())


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox process or the bot process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="serve a sandbox Discord with bench channels")
    sandbox.add_argument("--channels", type=int, default=50)
    sandbox.add_argument("--info", type=Path, required=True)
    sandbox.add_argument("--max-seconds", type=float, default=SANDBOX_MAX_SECONDS)
    bot_process = commands.add_parser("bot", help="run the bot against a sandbox process")
    bot_process.add_argument("--info", type=Path, required=True)
    bot_process.add_argument(
        "--db", type=database_option, required=True, help="a SQLite file or a postgresql:// address"
    )
    bot_process.add_argument("--max-seconds", type=float, default=BOT_MAX_SECONDS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if args.command == "sandbox":
        asyncio.run(serve_sandbox(args.channels, args.info, args.max_seconds))
    else:
        asyncio.run(run_bot(args.info, args.db, args.max_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
