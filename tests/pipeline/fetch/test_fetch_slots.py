"""Fair shares of the fetcher: members' on-demand fetches have their own slots, the per-host
map forgets idle hosts, and the private-address guard lets through exact origins only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from bot.core.errors import FetchError
from bot.pipeline.fetch.address_guard import PRIVATE_ADDRESS_MESSAGE
from bot.pipeline.fetch.fetcher import Fetcher, FetchSettings
from tests.fixtures.http_servers import RouteServer, serve_routes
from tests.waiting import eventually

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"


@asynccontextmanager
async def open_fetcher(settings: FetchSettings) -> AsyncIterator[Fetcher]:
    session = Fetcher.create_session(settings)
    try:
        yield Fetcher(session, settings)
    finally:
        await session.close()


@asynccontextmanager
async def slow_and_fast_server() -> AsyncIterator[tuple[RouteServer, asyncio.Event]]:
    release = asyncio.Event()

    async def slow(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(body=b"<html><p>late</p></html>", content_type="text/html")

    async with serve_routes({"/slow": slow, "/feed.xml": (200, {}, FEED)}) as server:
        try:
            yield server, release
        finally:
            release.set()


async def test_twenty_slow_on_demand_fetches_leave_every_poller_slot_free() -> None:
    settings = FetchSettings(allow_private_addresses=True, on_demand_limit=4, per_host_limit=2)
    async with slow_and_fast_server() as (server, release), open_fetcher(settings) as fetcher:
        members = [
            asyncio.create_task(fetcher.on_demand.fetch(server.url(f"/slow?n={n}")))
            for n in range(20)
        ]
        # One slot per host for members: the rest queue in their own pool.
        await eventually(lambda: server.count("/slow") == 1)
        assert fetcher.pool.in_use == 0
        assert fetcher.on_demand.pool.in_use == 1
        assert fetcher.on_demand.pool is not fetcher.pool

        # A poll's feed check, same host even, finds its slots and a connection free.
        polled = await asyncio.wait_for(fetcher.fetch(server.url("/feed.xml")), 10)
        assert polled.body == FEED
        assert not any(task.done() for task in members)

        release.set()
        results = await asyncio.gather(*members)
    assert len(results) == 20
    assert server.max_in_flight["/slow"] == 1


async def test_on_demand_pool_caps_members_across_hosts() -> None:
    settings = FetchSettings(allow_private_addresses=True, on_demand_limit=2)
    async with slow_and_fast_server() as (server, release), open_fetcher(settings) as fetcher:
        # Two hosts that reach the same server: 127.0.0.1 and localhost.
        other = server.url("/slow").replace("127.0.0.1", "localhost")
        members = [
            asyncio.create_task(fetcher.on_demand.fetch(url))
            for url in [server.url("/slow"), other, server.url("/slow?b"), other + "?b"]
        ]
        await eventually(lambda: server.count("/slow") == 2)
        assert fetcher.on_demand.pool.in_use == 2
        release.set()
        await asyncio.gather(*members)


async def test_the_per_host_map_forgets_hosts_once_idle() -> None:
    settings = FetchSettings(allow_private_addresses=True, global_limit=3, timeout_seconds=5)
    async with open_fetcher(settings) as fetcher:
        # Hundreds of distinct hosts, each refusing the connection at once.
        async def one(number: int) -> None:
            with pytest.raises(FetchError):
                await fetcher.fetch(f"http://127.0.{number // 250}.{number % 250 + 1}:9/x")

        await asyncio.gather(*(one(number) for number in range(300)))
        assert fetcher.pool.hosts_known == 0
        assert fetcher.pool.in_use == 0


async def test_only_exact_allowed_origins_pass_the_private_address_guard() -> None:
    async with serve_routes({"/feed.xml": (200, {}, FEED)}) as allowed, serve_routes(
        {"/feed.xml": (200, {}, FEED)}
    ) as other:
        settings = FetchSettings(
            allow_private_addresses=False, allowed_private_origins=frozenset({allowed.origin}),
            timeout_seconds=5,
        )
        async with open_fetcher(settings) as fetcher:
            assert (await fetcher.fetch(allowed.url("/feed.xml"))).body == FEED
            assert (await fetcher.on_demand.fetch(allowed.url("/feed.xml"))).body == FEED
            for refused in [
                other.url("/feed.xml"),  # another loopback port
                "http://10.1.2.3/feed.xml",
                "http://169.254.169.254/latest/meta-data/",
                allowed.url("/feed.xml").replace("127.0.0.1", "localhost"),  # via the resolver
            ]:
                with pytest.raises(FetchError) as error:
                    await fetcher.fetch(refused)
                assert error.value.message == PRIVATE_ADDRESS_MESSAGE, refused
    assert other.count("/feed.xml") == 0
