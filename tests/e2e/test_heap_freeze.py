"""The production start-up freezes the long-lived heap once connected, and only once."""

from __future__ import annotations

import asyncio
import gc

from bot.app.settings import Settings
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import Sandbox


async def test_heap_is_frozen_once_the_guilds_are_cached(
    sandbox: Sandbox, settings: Settings
) -> None:
    gc.unfreeze()
    try:
        async with bot_in_sandbox(sandbox, settings, freeze_heap_when_ready=True) as bot:
            for _ in range(100):
                if gc.get_freeze_count():
                    break
                await asyncio.sleep(0.05)
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # the libraries and caches loaded by start-up
            await bot.on_ready()  # a reconnect's READY does not freeze again
            assert gc.get_freeze_count() == frozen
            outcome = await sandbox.run_command("/help")
            assert outcome.contents  # the bot still answers
    finally:
        gc.unfreeze()


async def test_tests_and_the_sandbox_leave_the_heap_alone(
    sandbox: Sandbox, settings: Settings
) -> None:
    gc.unfreeze()
    async with bot_in_sandbox(sandbox, settings):
        await asyncio.sleep(0.2)
        assert gc.get_freeze_count() == 0
