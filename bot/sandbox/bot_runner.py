"""Run the real, unmodified Newsdesk bot against a running ``Sandbox``.

Used by ``newsdesk sandbox`` and by the end-to-end tests. The sandbox's guild becomes the
development guild (commands sync there at start-up). The tests allow every private address
(their feeds are served from 127.0.0.1 on ports they pick); ``newsdesk sandbox`` allows only
the exact host:port pairs of the servers it started itself (``allowed_private_origins``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.app.runtime import open_newsdesk
from bot.app.services import utc_now
from bot.app.settings import Settings
from bot.discord_io.client import NewsdeskBot
from bot.sandbox.fake_discord import Sandbox

log = logging.getLogger(__name__)

READY_TIMEOUT = 20.0


def sandbox_settings(
    settings: Settings,
    sandbox: Sandbox,
    *,
    allow_private_addresses: bool = True,
    allowed_private_origins: frozenset[tuple[str, int]] = frozenset(),
) -> Settings:
    """Return ``settings`` adjusted to the sandbox: its guild and token, loopback feeds allowed.

    ``allow_private_addresses=False`` keeps the production rule (to show it refusing
    127.0.0.1), except for the exact ``allowed_private_origins``.
    """
    return replace(
        settings,
        discord_token=sandbox.bot_token,
        dev_guild_id=sandbox.world.guild_id,
        allow_private_addresses=allow_private_addresses,
        allowed_private_origins=allowed_private_origins,
    )


@asynccontextmanager
async def bot_in_sandbox(
    sandbox: Sandbox,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    allow_private_addresses: bool = True,
    allowed_private_origins: frozenset[tuple[str, int]] = frozenset(),
    **client_options: Any,
) -> AsyncIterator[NewsdeskBot]:
    """Start the bot against ``sandbox``; yield it once connected with its commands synced."""
    settings = sandbox_settings(
        settings, sandbox, allow_private_addresses=allow_private_addresses,
        allowed_private_origins=allowed_private_origins,
    )
    with sandbox.patch_discord():
        async with open_newsdesk(
            settings, clock=clock, guild_ready_timeout=0.1, **client_options
        ) as bot:
            runner = asyncio.create_task(bot.start(sandbox.bot_token), name="newsdesk-bot")
            try:
                await _wait_until_connected(bot, runner)
                await sandbox.wait_for_commands(timeout=READY_TIMEOUT)
                yield bot
            finally:
                await bot.close()
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner


async def _wait_until_connected(bot: NewsdeskBot, runner: asyncio.Task[None]) -> None:
    """Wait for the bot's READY, or re-raise why it stopped before getting there."""
    async with asyncio.timeout(READY_TIMEOUT):
        while not bot.is_ready():
            if runner.done():
                runner.result()  # raises the start-up error (bad token, refused connection…)
                raise RuntimeError("the bot stopped before it was ready")
            await asyncio.sleep(0.02)
