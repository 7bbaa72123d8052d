"""Discord's interaction deadlines: 3 s for the first response, 15 minutes for the token."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from bot.sandbox.fake_discord import CommandOutcome
from tests.sandbox.conftest import RunningBot
from tests.waiting import eventually

FIFTEEN_MINUTES = 15 * 60


async def _held(
    running: RunningBot, line: str, wait_seconds: float
) -> tuple[asyncio.Task[CommandOutcome], discord.Interaction]:
    """Start a /hold-style command; return its running outcome and the bot's interaction."""
    running.bot.holding.clear()
    task = asyncio.create_task(running.sandbox.run_command(line, timeout=wait_seconds))
    async with asyncio.timeout(5):
        await running.bot.holding.wait()
    return task, running.bot.held[-1]


async def test_no_response_fails_after_three_real_seconds(running: RunningBot) -> None:
    started = time.monotonic()
    outcome = await running.sandbox.run_command("/hold", timeout=15)
    elapsed = time.monotonic() - started
    assert outcome.timed_out and not outcome.messages
    assert 2.9 <= elapsed < 4.0, elapsed
    with pytest.raises(discord.NotFound) as late:
        await running.bot.held[-1].response.send_message("too late")
    assert late.value.code == 10062
    assert running.sandbox.messages == []


async def test_advancing_the_clock_fails_the_interaction_at_once(running: RunningBot) -> None:
    task, interaction = await _held(running, "/hold", wait_seconds=15)
    started = time.monotonic()
    running.sandbox.advance_clock(3.5)
    outcome = await task
    assert outcome.timed_out and time.monotonic() - started < 1.0
    with pytest.raises(discord.NotFound) as late:
        await interaction.response.defer()
    assert late.value.code == 10062


async def test_deferred_interaction_may_follow_up_after_three_seconds(
    running: RunningBot,
) -> None:
    task, interaction = await _held(running, "/holddefer", wait_seconds=5)
    running.sandbox.advance_clock(60)
    await interaction.followup.send("done later")
    outcome = await task
    assert not outcome.timed_out and outcome.contents == ["done later"]


async def test_token_expires_after_fifteen_minutes(running: RunningBot) -> None:
    task, interaction = await _held(running, "/holddefer", wait_seconds=0.5)
    outcome = await task
    assert outcome.timed_out  # deferred but never resolved within the timeout
    running.sandbox.advance_clock(FIFTEEN_MINUTES + 1)
    with pytest.raises(discord.HTTPException) as followup:
        await interaction.followup.send("much too late")
    assert (followup.value.status, followup.value.code) == (401, 50027)
    with pytest.raises(discord.HTTPException) as edit:
        await interaction.edit_original_response(content="much too late")
    assert edit.value.code == 50027


async def test_reply_within_the_window_still_works_after_the_clock_moves(
    running: RunningBot,
) -> None:
    outcome = await running.sandbox.run_command("/ping", timeout=5)
    running.sandbox.advance_clock(FIFTEEN_MINUTES - 5)
    assert outcome.contents == ["pong"]
    assert (await running.sandbox.run_command("/ping", timeout=5)).contents == ["pong"]


async def test_autocomplete_has_three_seconds_too(running: RunningBot) -> None:
    task = asyncio.create_task(running.sandbox.autocomplete("/pick slow:x", focused="slow"))
    # The 3 s count from the dispatch to the bot.
    await eventually(
        lambda: any(record.dispatched_at for record in running.sandbox.state.interactions.all()),
        message="the autocomplete was dispatched to the bot",
    )
    running.sandbox.advance_clock(3.5)
    with pytest.raises(TimeoutError):
        await task


async def test_clock_only_moves_forward(running: RunningBot) -> None:
    with pytest.raises(ValueError, match="forward"):
        running.sandbox.advance_clock(-1)
