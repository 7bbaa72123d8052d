"""The polite fetcher against real HTTP servers on 127.0.0.1, and the private-address guard."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import ClientSession, TCPConnector, web
from aiohttp.abc import AbstractResolver, ResolveResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.errors import FetchError
from bot.pipeline.fetch.address_guard import (
    PrivateAddressRefused,
    PublicOnlyResolver,
    is_public_address,
)
from bot.pipeline.fetch.fetcher import Fetcher, FetchSettings, parse_max_age, parse_retry_after
from tests.fixtures.http_servers import Route, RouteSpec, serve_routes

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"
MakeFetcher = Callable[..., AbstractAsyncContextManager[Fetcher]]


@asynccontextmanager
async def _open_fetcher(**overrides: object) -> AsyncIterator[Fetcher]:
    settings = FetchSettings(**{"allow_private_addresses": True, **overrides})  # type: ignore[arg-type]
    session = Fetcher.create_session(settings)
    try:
        yield Fetcher(session, settings)
    finally:
        await session.close()


@pytest.fixture
def make_fetcher() -> MakeFetcher:
    return _open_fetcher


async def test_200_returns_body_validators_and_freshness(make_fetcher: MakeFetcher) -> None:
    headers = {
        "Content-Type": "application/rss+xml; charset=utf-8",
        "ETag": '"v1"',
        "Last-Modified": "Tue, 01 Apr 2025 10:00:00 GMT",
        "Cache-Control": "public, max-age=300",
    }
    async with (
        serve_routes({"/feed.xml": (200, headers, FEED)}) as server,
        make_fetcher() as fetcher,
    ):
        result = await fetcher.fetch(server.url("/feed.xml"))
        sent = server.requests_to("/feed.xml")[0].headers
    assert result.status == 200
    assert result.body == FEED
    assert result.url == result.requested_url == server.url("/feed.xml")
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 01 Apr 2025 10:00:00 GMT"
    assert result.max_age_seconds == 300
    assert result.body_sha256 == hashlib.sha256(FEED).hexdigest()
    assert sent["User-Agent"].startswith("Newsdesk/")
    assert "If-None-Match" not in sent


async def test_conditional_get_returns_304_with_empty_body(make_fetcher: MakeFetcher) -> None:
    route = Route(200, {"ETag": '"v1"', "Last-Modified": "Tue, 01 Apr 2025 10:00:00 GMT"}, FEED)
    route.honour_validators = True
    async with serve_routes({"/feed.xml": route}) as server, make_fetcher() as fetcher:
        result = await fetcher.fetch(
            server.url("/feed.xml"),
            etag='"v1"',
            last_modified="Tue, 01 Apr 2025 10:00:00 GMT",
        )
        sent = server.requests_to("/feed.xml")[0].headers
    assert (result.status, result.body, result.body_sha256) == (304, b"", "")
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Tue, 01 Apr 2025 10:00:00 GMT"


def _redirect(target: str, status: int = 302) -> tuple[int, dict[str, str], bytes]:
    return (status, {"Location": target}, b"")


async def test_redirect_chain_of_two_is_followed(make_fetcher: MakeFetcher) -> None:
    routes: dict[str, RouteSpec] = {
        "/a": _redirect("/b", 301),
        "/b": _redirect("feed.xml", 308),
        "/feed.xml": (200, {}, FEED),
    }
    async with serve_routes(routes) as server, make_fetcher() as fetcher:
        result = await fetcher.fetch(server.url("/a"))
    assert result.requested_url == server.url("/a")
    assert result.url == server.url("/feed.xml")
    assert result.body == FEED


async def test_more_redirects_than_the_limit_are_refused(make_fetcher: MakeFetcher) -> None:
    routes: dict[str, RouteSpec] = {f"/r{i}": _redirect(f"/r{i + 1}") for i in range(6)}
    routes["/r6"] = (200, {}, FEED)
    async with serve_routes(routes) as server, make_fetcher(max_redirects=5) as fetcher:
        with pytest.raises(FetchError, match="redirects more than 5 times"):
            await fetcher.fetch(server.url("/r0"))
        assert server.count("/r6") == 0
        async with make_fetcher(max_redirects=6) as generous_fetcher:
            assert (await generous_fetcher.fetch(server.url("/r0"))).body == FEED


async def test_redirect_loop_is_refused(make_fetcher: MakeFetcher) -> None:
    async with (
        serve_routes({"/x": _redirect("/y"), "/y": _redirect("/x")}) as server,
        make_fetcher() as fetcher,
    ):
        with pytest.raises(FetchError, match="loop"):
            await fetcher.fetch(server.url("/x"))
        assert server.count("/x") == 1


async def test_plain_body_over_the_cap_is_refused(make_fetcher: MakeFetcher) -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(20):
            await response.write(b"x" * 1000)
        await response.write_eof()
        return response

    routes: dict[str, RouteSpec] = {
        "/big": (200, {}, b"x" * 5000),
        "/chunked": chunked,
        "/ok": (200, {}, b"y" * 1000),
    }
    async with serve_routes(routes) as server, make_fetcher(max_body_bytes=1000) as fetcher:
        with pytest.raises(FetchError, match="larger than Newsdesk's limit"):
            await fetcher.fetch(server.url("/big"))
        with pytest.raises(FetchError, match="larger than Newsdesk's limit"):
            await fetcher.fetch(server.url("/chunked"))
        assert (await fetcher.fetch(server.url("/ok"))).body == b"y" * 1000


async def test_compressed_bodies_are_capped_before_and_after_decoding(
    make_fetcher: MakeFetcher,
) -> None:
    incompressible = gzip.compress(os.urandom(5000))
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    small = b"<rss>" + b"a" * 20_000 + b"</rss>"
    gz = {"Content-Encoding": "gzip"}
    routes: dict[str, RouteSpec] = {
        "/incompressible": (200, gz, incompressible),
        "/bomb": (200, gz, bomb),
        "/small": (200, gz, gzip.compress(small)),
        "/deflate": (200, {"Content-Encoding": "deflate"}, zlib.compress(small)),
    }
    async with serve_routes(routes) as server, make_fetcher(max_body_bytes=100_000) as fetcher:
        with pytest.raises(FetchError, match="larger than"):
            await fetcher.fetch(server.url("/bomb"))
        small_result = await fetcher.fetch(server.url("/small"))
        assert small_result.body == small
        assert small_result.body_sha256 == hashlib.sha256(small).hexdigest()
        assert (await fetcher.fetch(server.url("/deflate"))).body == small
        async with make_fetcher(max_body_bytes=4000) as strict_fetcher:
            with pytest.raises(FetchError, match="larger than"):
                await strict_fetcher.fetch(server.url("/incompressible"))


async def test_slow_server_times_out(make_fetcher: MakeFetcher) -> None:
    async with (
        serve_routes({"/slow": Route(200, {}, FEED, delay_seconds=1)}) as server,
        make_fetcher(timeout_seconds=0.5) as fetcher,
    ):
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"did not answer within 0\.5 seconds"):
            await fetcher.fetch(server.url("/slow"))
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, "answered 404 Not Found: check the address"),
        (410, "answered 410 Gone: check the address"),
        (403, "answered 403 Forbidden"),
        (500, "answered 500 Internal Server Error: the problem is on the site's side"),
    ],
)
async def test_http_errors_become_sentences(
    make_fetcher: MakeFetcher, status: int, expected: str
) -> None:
    async with (
        serve_routes({"/feed.xml": (status, {}, b"nope")}) as server,
        make_fetcher() as fetcher,
    ):
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(server.url("/feed.xml"))
    assert expected in caught.value.message
    assert caught.value.message.startswith("The site 127.0.0.1 answered")
    assert caught.value.retry_after is None


async def test_429_and_503_carry_retry_after(make_fetcher: MakeFetcher) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    routes = {
        "/seconds": (429, {"Retry-After": "120"}, b""),
        "/date": (429, {"Retry-After": later}, b""),
        "/busy": (503, {"Retry-After": "30"}, b""),
    }
    async with serve_routes(routes) as server, make_fetcher() as fetcher:
        errors = []
        for path in routes:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(server.url(path))
            errors.append(caught.value)
    assert errors[0].retry_after == 120
    assert "429 Too Many Requests" in errors[0].message
    assert errors[1].retry_after is not None and 590 <= errors[1].retry_after <= 600
    assert errors[2].retry_after == 30


@pytest.mark.parametrize(
    "url", ["ftp://example.com/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "gopher://x"]
)
async def test_non_http_schemes_are_refused(make_fetcher: MakeFetcher, url: str) -> None:
    async with make_fetcher() as fetcher:
        with pytest.raises(FetchError, match="Only http and https addresses can be followed"):
            await fetcher.fetch(url)


async def test_per_host_limit_is_enforced(make_fetcher: MakeFetcher) -> None:
    async with (
        serve_routes({"/feed.xml": Route(200, {}, FEED, delay_seconds=0.2)}) as server,
        make_fetcher(per_host_limit=2) as fetcher,
    ):
        results = await asyncio.gather(*(fetcher.fetch(server.url("/feed.xml")) for _ in range(6)))
    assert len(results) == 6
    assert server.max_in_flight["/feed.xml"] == 2


async def test_refused_connection_and_unknown_host(make_fetcher: MakeFetcher) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with make_fetcher(timeout_seconds=3) as fetcher:
        with pytest.raises(FetchError, match=r"could not connect to 127\.0\.0\.1"):
            await fetcher.fetch(f"http://127.0.0.1:{closed_port}/feed.xml")
        with pytest.raises(FetchError, match=r"could not find the site|did not answer"):
            await fetcher.fetch("http://no-such-host.invalid/feed.xml")


# --- the private-address guard -----------------------------------------------------------

PRIVATE = "That address points into a private network, which Newsdesk does not fetch from."


@pytest.mark.parametrize(
    "host_template",
    ["127.0.0.1:{port}", "localhost:{port}", "10.0.0.1", "[::1]:{port}", "169.254.169.254"],
)
async def test_guard_refuses_private_hosts_without_traffic(
    make_fetcher: MakeFetcher, host_template: str
) -> None:
    async with serve_routes({"/feed.xml": (200, {}, FEED)}) as server:
        port = server.base_url.rsplit(":", 1)[1]
        url = "http://" + host_template.format(port=port) + "/feed.xml"
        async with make_fetcher(allow_private_addresses=False, timeout_seconds=2) as fetcher:
            started = time.monotonic()
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(url)
            assert time.monotonic() - started < 1
        assert caught.value.message == PRIVATE
        assert server.requests == []


class _FixedResolver(AbstractResolver):
    """Answers every name with the given addresses (stands in for DNS, not for HTTP)."""

    def __init__(self, *addresses: str) -> None:
        self._addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0)
            for a in self._addresses
        ]

    async def close(self) -> None:
        return None


async def test_resolver_checks_resolved_addresses() -> None:
    assert (await PublicOnlyResolver(_FixedResolver("93.184.215.14")).resolve("a.test", 80))[0][
        "host"
    ] == "93.184.215.14"
    for addresses in (("10.1.2.3",), ("93.184.215.14", "127.0.0.1"), ("::ffff:192.168.0.1",)):
        with pytest.raises(PrivateAddressRefused):
            await PublicOnlyResolver(_FixedResolver(*addresses)).resolve("rebind.test", 80)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("172.32.0.1", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("172.31.255.255", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("::1", False),
        ("::", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
        ("64:ff9b::a00:1", False),
        ("fec0::1", False),
        ("feff:ffff::1", False),
        ("not an address", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# --- header parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Cache-Control": "max-age=600"}, 600),
        ({"Cache-Control": "public, s-maxage=60, max-age=600"}, 60),
        ({"Cache-Control": "no-cache"}, 0),
        ({"Cache-Control": "private, no-store"}, 0),
        (
            {"Date": "Tue, 01 Apr 2025 10:00:00 GMT", "Expires": "Tue, 01 Apr 2025 10:30:00 GMT"},
            1800,
        ),
        ({"Expires": "0"}, 0),
        ({"Cache-Control": "max-age=99999999999999999"}, 86_400),
        ({"Cache-Control": f"max-age={'9' * 5000}"}, 86_400),
        ({"Cache-Control": "max-age=+5"}, None),
        ({"Cache-Control": "max-age=١٢"}, None),
        ({"Cache-Control": "max-age=1e400"}, None),
        ({"Expires": "Fri, 31 Dec 9999 23:59:59 GMT"}, 86_400),
        ({"Date": "Fri, 31 Dec 9999 23:59:59 GMT", "Expires": "Tue, 01 Apr 2025 10:30:00 GMT"}, 0),
    ],
)
def test_parse_max_age(headers: dict[str, str], expected: float | None) -> None:
    assert parse_max_age(headers) == expected


def test_parse_retry_after() -> None:
    now = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120
    assert parse_retry_after("Tue, 01 Apr 2025 10:05:00 GMT", now=now) == 300
    assert parse_retry_after("Tue, 01 Apr 2025 09:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("99999999999999999", 86_400),
        ("9" * 5000, 86_400),
        ("86401", 86_400),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 86_400),
        ("Mon, 01 Jan 0001 00:00:00 GMT", 0),
        ("²", None),
        ("١٢", None),
        ("-5", None),
        ("+5", None),
        ("1e9", None),
        ("Tue, 99 Apr 2025 10:05:00 GMT", None),
    ],
)
def test_retry_after_is_clamped_to_a_day_and_garbage_ignored(
    value: str, seconds: float | None
) -> None:
    assert parse_retry_after(value, now=datetime(2025, 4, 1, 10, 0, tzinfo=UTC)) == seconds


async def test_a_429_asking_for_forever_asks_for_a_day(make_fetcher: MakeFetcher) -> None:
    routes = {"/feed.xml": (429, {"Retry-After": "99999999999999999"}, b"")}
    async with serve_routes(routes) as server, make_fetcher() as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(server.url("/feed.xml"))
    assert caught.value.retry_after == 86_400


# --- addresses that cannot be fetched -----------------------------------------------------


class _NoDns(AbstractResolver):
    """Fails every lookup at once: the tests below must not reach a real DNS server."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError(f"no DNS in tests ({host!r})")

    async def close(self) -> None:
        return None


@asynccontextmanager
async def _offline_fetcher(*, allow_private_addresses: bool) -> AsyncIterator[Fetcher]:
    settings = FetchSettings(allow_private_addresses=allow_private_addresses, timeout_seconds=2)
    session = ClientSession(connector=TCPConnector(resolver=_NoDns()))
    try:
        yield Fetcher(session, settings)
    finally:
        await session.close()


HOSTILE_ADDRESSES = [
    "http://xn--a-/x",
    "http://xn--zz/x",
    "http://xn--/x",
    "http://.xn--a-.com/x",
    "http://" + "a" * 64 + ".com/",
    "http://" + "a." * 130 + "com/",
    "http://a..b/",
    "http://a.com:99999/",
    "http://a.com:-1/",
    "http://a\x00b.com/",
    "http://a\x7fb.com/",
    "http://a b.com/",
    "http://\x80.com/",
    "http://a\u200b.com/",
    "http://\ud800.com/",
    "http://[::1/",
    "http://a.com\r\nX: y/",
    "http://%41.com/",
]


@pytest.mark.parametrize("allow_private_addresses", [False, True])
async def test_addresses_that_cannot_be_fetched_are_fetch_errors(
    allow_private_addresses: bool,
) -> None:
    async with _offline_fetcher(allow_private_addresses=allow_private_addresses) as fetcher:
        for address in HOSTILE_ADDRESSES:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(address)
            assert caught.value.message.endswith("."), address


HOST_PIECES = st.sampled_from(
    ["xn--", "xn--a-", "-", ".", "..", "a", "Z9", "_", "é", "ß", "例", "\u200b", "\x00", "\x7f",
     " ", "%", ":", "[", "]", "@", "\ufeff", "\u3002", "\uff0e", "0x7f", "1", "a" * 64]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(HOST_PIECES, min_size=1, max_size=8), port=st.sampled_from(
    ["", ":80", ":0", ":65536", ":-1", ":a"]
))
def test_any_hostile_host_is_a_fetch_error(pieces: list[str], port: str) -> None:
    url = f"http://{''.join(pieces)}{port}/feed.xml"

    async def attempt() -> None:
        async with _offline_fetcher(allow_private_addresses=False) as fetcher:
            try:
                await fetcher.fetch(url)
            except FetchError:
                return

    asyncio.run(attempt())
