"""Hostile feeds through the real fetcher, poller, reader and deliverer, served from 127.0.0.1.

Two halves:
- transport attacks (decompression bombs, a 100 MB body, endless redirects, a server that
  drips one byte per second, lying headers): ``/feed add`` refuses them with a sentence and a
  followed feed that turns hostile fails its check with a sentence, within the time budget
  and with bounded memory;
- document attacks (the corpus in ``tests/fixtures/hostile/``: entity bombs, XXE, mentions
  and masked links in every field, zero-width and bidi characters, lying encodings, deep
  nesting, huge fields) go all the way to Discord through the real bot: no exception
  escapes, every post is sent with ``allowed_mentions == {"parse": []}``, nothing fails.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path

import pytest
from aiohttp import web

from bot.app.services import Services, reading_pool_for
from bot.app.settings import Settings
from bot.core.errors import FetchError, UserError
from bot.core.models import OutboxState
from bot.pipeline.fetch.fetcher import Fetcher, FetchSettings
from bot.sandbox.fake_discord import Sandbox
from storage import Database, Repositories
from tests.fixtures.bot_storage import bot_rows
from tests.fixtures.http_servers import Route, RouteServer
from tests.hardening.conftest import BotStarter, poll_and_deliver

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
FETCH_TIMEOUT = 3.0
TIME_LIMIT = 12.0
MEMORY_LIMIT_BYTES = 80 * 1024 * 1024
CHUNK = 64 * 1024
HUNDRED_MB = 100 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BIDI_AND_INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def empty_rss(title: str = "Placeholder") -> bytes:
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel>"
        f"<title>{title}</title><link>https://example.org/</link></channel></rss>"
    ).encode()


@cache
def compressed_zeros(megabytes: int, wbits: int) -> bytes:
    """``megabytes`` MB of zeros, gzip (wbits 31) or zlib (wbits 15) compressed."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * (1024 * 1024)
    parts = [packer.compress(block) for _ in range(megabytes)]
    parts.append(packer.flush())
    return b"".join(parts)


def bomb(wbits: int, encoding: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=compressed_zeros(200, wbits),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": encoding},
        )

    return handler


def streamed_body(total: int, *, declare_length: bool) -> Handler:
    """Stream ``total`` bytes without storing them; stop when the client goes away."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=RSS)
        if declare_length:
            response.content_length = total
        await response.prepare(request)
        chunk = b"<rss>" + b" " * (CHUNK - 5)
        sent = 0
        try:
            for _ in range(total // CHUNK):  # bounded: at most total / 64 kB writes
                await response.write(chunk)
                sent += CHUNK
        except (ConnectionResetError, RuntimeError):
            return response
        return response

    return handler


def slow_drip(max_bytes: int = 60) -> Handler:
    """One byte per second, at most ``max_bytes`` of them."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=RSS)
        await response.prepare(request)
        try:
            for byte in b"<?xml version='1.0'?><rss version='2.0'><channel>"[:max_bytes]:
                await response.write(bytes([byte]))
                await asyncio.sleep(1.0)
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    return handler


def redirect_to(location: Callable[[web.Request], str]) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": location(request)})

    return handler


def endless(request: web.Request) -> str:
    step = int(request.query.get("n", "0"))
    return f"{request.path}?n={step + 1}"


def lying_encoding(encoding: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=empty_rss(), headers={"Content-Type": "application/rss+xml",
                                       "Content-Encoding": encoding}
        )

    return handler


TRANSPORT_ATTACKS: dict[str, Handler] = {
    "gzip-bomb": bomb(31, "gzip"),
    "deflate-bomb": bomb(15, "deflate"),
    "100mb-chunked": streamed_body(HUNDRED_MB, declare_length=False),
    "100mb-declared": streamed_body(HUNDRED_MB, declare_length=True),
    "endless-redirects": redirect_to(endless),
    "redirect-loop": redirect_to(lambda request: request.path),
    "slow-drip": slow_drip(),
    "gzip-header-plain-body": lying_encoding("gzip"),
    "brotli-claimed": lying_encoding("br"),
}


@asynccontextmanager
async def services_over(tmp_path: Path) -> AsyncIterator[tuple[Services, Repositories]]:
    """Real services (SQLite file, fetcher, poller) with a short fetch budget, and the
    repositories they share (for the test to look at)."""
    database = await Database.open(tmp_path / "hostile.sqlite3")
    settings = Settings(database_path=tmp_path / "hostile.sqlite3", allow_private_addresses=True)
    fetch_settings = FetchSettings(timeout_seconds=FETCH_TIMEOUT, allow_private_addresses=True)
    session = Fetcher.create_session(fetch_settings)
    reading_pool = reading_pool_for(settings)
    try:
        fetcher = Fetcher(session, fetch_settings)
        repositories = Repositories.over(database)
        yield Services.build(settings, repositories, fetcher, reading_pool), repositories
    finally:
        await reading_pool.close()
        await session.close()
        await database.close()


@pytest.mark.parametrize("attack", sorted(TRANSPORT_ATTACKS))
async def test_transport_attacks_fail_with_a_sentence_in_bounded_time_and_memory(
    attack: str, server: RouteServer, tmp_path: Path
) -> None:
    path = f"/{attack}.xml"
    server.routes[path] = Route(200, RSS, empty_rss(attack))
    async with services_over(tmp_path) as (services, repositories):
        await services.subscriptions.add(1, 2, server.url(path), added_by=3)
        server.routes[path] = TRANSPORT_ATTACKS[attack]
        server.routes["/fresh" + path] = TRANSPORT_ATTACKS[attack]
        tracemalloc.start()
        started = time.monotonic()
        try:
            async with asyncio.timeout(TIME_LIMIT):
                report = await services.poller.poll_all()
                with pytest.raises(UserError) as refused:
                    await services.subscriptions.add(1, 2, server.url("/fresh" + path), added_by=3)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        elapsed = time.monotonic() - started
        (feed,) = await repositories.feeds.followed()
    assert report.feeds_failed == 1
    assert feed.last_error and "internal error" not in feed.last_error
    assert refused.value.message
    assert elapsed < TIME_LIMIT
    assert peak < MEMORY_LIMIT_BYTES, f"{attack}: peak {peak / 2**20:.0f} MB"


@pytest.mark.parametrize("location", ["http://[::1", "http://host:99999/"])
async def test_a_redirect_to_an_unparseable_location_is_a_fetch_error(
    location: str, server: RouteServer, tmp_path: Path
) -> None:
    server.routes["/bad-redirect.xml"] = redirect_to(lambda request: location)
    async with services_over(tmp_path) as (services, _):
        with pytest.raises(FetchError):
            await services.fetcher.fetch(server.url("/bad-redirect.xml"))


# ---------------------------------------------------------------- the document corpus

# file name -> Content-Type it is served with (several of them lie)
CORPUS: dict[str, str] = {
    "entity_bomb.xml": "application/rss+xml",
    "quadratic_blowup.xml": "application/rss+xml",
    "external_entity.xml": "application/rss+xml",
    "mentions_everywhere.xml": "text/plain; charset=iso-8859-1",
    "mentions_everywhere.json": "application/rss+xml",
    "zero_width_rtl.xml": "application/rss+xml; charset=utf-8",
    "utf16_declared_utf8.xml": "application/rss+xml; charset=utf-8",
    "cp1252_declared_utf8.xml": "application/rss+xml; charset=utf-8",
    "invalid_utf8.xml": "application/xml",
    "deep_nesting.xml": "application/rss+xml",
    "huge_fields.xml": "application/rss+xml",
}
MENTION_PAGE = (
    "<!doctype html><html><head><title>@everyone <@&1> read this</title>"
    "<meta property='og:title' content='@here [click](https://evil.example/)'>"
    "<meta name='author' content='@everyone'></head><body><article><h1>@everyone</h1>"
    + "<p>“@here you have been pinged,” said <@1350000000000000002>. [masked](https://evil"
    ".example/) text follows here for the extractor to keep.</p>" * 5
    + "</article></body></html>"
).encode()


def corpus_body(name: str, base: str) -> bytes:
    return (HOSTILE / name).read_bytes().replace(b"{base}", base.encode())


async def test_hostile_documents_reach_discord_safely(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    for name in CORPUS:
        server.routes[f"/h/{name}"] = Route(200, RSS, empty_rss(name))
    # Pages behind the items' links: hostile too (mentions, a bomb, a 100 MB body).
    server.routes["/pages/mention-0.html"] = Route(200, HTML, MENTION_PAGE)
    server.routes["/pages/json-0.html"] = Route(200, HTML, MENTION_PAGE)
    server.routes["/pages/mention-1.html"] = bomb(31, "gzip")
    server.routes["/pages/mention-2.html"] = streamed_body(HUNDRED_MB, declare_length=False)
    async with start_bot() as bot:
        for position, name in enumerate(CORPUS):
            # Two admins take turns: each may use /feed add 10 times a minute.
            outcome = await sandbox.run_command(
                f"/feed add url:{server.url('/h/' + name)} channel:#news",
                user="admin" if position % 2 == 0 else "owner",
            )
            assert "Now following" in outcome.messages[-1].content, outcome.contents
        for name, content_type in CORPUS.items():
            server.routes[f"/h/{name}"] = Route(
                200, {"Content-Type": content_type}, corpus_body(name, server.base_url)
            )
        async with asyncio.timeout(90):
            await poll_and_deliver(bot, wait_seconds=60)
        states = await bot_rows(bot, "SELECT state, failure FROM outbox")
        listed = await sandbox.run_command("/feed list")
        status = await sandbox.run_command("/feed status")
    posts = sandbox.posts("news")
    assert len(posts) >= 8, [p.embeds for p in posts]
    assert [tuple(row) for row in states if row[0] == OutboxState.FAILED] == []
    assert all(row[0] in (OutboxState.SENT, OutboxState.SKIPPED) for row in states), states
    for post in posts:
        assert post.allowed_mentions == {"parse": []}, post.allowed_mentions
        text = post.content + repr(post.embeds)
        assert "root:x:0:0" not in text
        assert "lollollollol" not in text
        embed = post.embeds[0]
        for ch in BIDI_AND_INVISIBLE:
            assert ch not in embed.get("title", ""), repr(embed.get("title"))
        assert not str(embed.get("url", "")).startswith("javascript:")
    for outcome in (listed, status):
        assert not outcome.timed_out and outcome.messages
        assert outcome.messages[-1].allowed_mentions == {"parse": []}
