"""The production start-up freezes the long-lived heap once connected, and only once."""

from __future__ import annotations

import gc
import logging

import pytest

from bot.app.settings import Settings
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import Sandbox
from tests.waiting import eventually


async def test_heap_is_frozen_once_the_guilds_are_cached(
    sandbox: Sandbox, settings: Settings
) -> None:
    gc.unfreeze()
    try:
        async with bot_in_sandbox(sandbox, settings, freeze_heap_when_ready=True) as bot:
            await eventually(gc.get_freeze_count, timeout=5, message="on_ready froze the heap")
            outcome = await sandbox.run_command("/help")
            assert outcome.contents  # the bot still answers
            # Counted once on_ready's own task is gone (freeing frozen objects lowers it).
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # the libraries and caches loaded by start-up
            await bot.on_ready()  # a reconnect's READY does not freeze again
            assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


async def test_tests_and_the_sandbox_leave_the_heap_alone(
    sandbox: Sandbox, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    gc.unfreeze()
    caplog.set_level(logging.INFO, logger="bot.discord_io.client")
    async with bot_in_sandbox(sandbox, settings):
        # on_ready is where the heap would be frozen; it logs first.
        await eventually(lambda: "connected as" in caplog.text, message="on_ready ran")
        assert gc.get_freeze_count() == 0
