"""Fixtures of the Discord edge's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web


@pytest.fixture
async def answering_api() -> AsyncIterator[str]:
    """The base address of a local API that answers every POST with ``{}`` (what pacing
    tests send their requests through)."""

    async def answer(_: web.Request) -> web.Response:
        return web.Response(text="{}")

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/api/v10"
    finally:
        await runner.cleanup()
