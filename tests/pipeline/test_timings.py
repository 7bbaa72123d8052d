"""The pipeline's timings and the wake loop the reader and the deliverer run on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from bot.pipeline.timings import PipelineTimings, WakeLoop
from tests.waiting import eventually

# Long enough that a round it started would fail these tests; never waited for.
NEVER = 60.0


def test_production_retries_double_from_five_seconds_up_to_an_hour() -> None:
    timings = PipelineTimings()
    delays = [timings.retry_delay(attempts) for attempts in (1, 2, 3, 4, 10, 11, 30)]
    assert delays[:5] == [
        timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20),
        timedelta(seconds=40), timedelta(seconds=2560),
    ]
    assert delays[5:] == [timedelta(hours=1), timedelta(hours=1)]


def test_retry_base_and_cap_are_what_was_passed_in() -> None:
    timings = PipelineTimings(retry_base_seconds=0.05, retry_cap_seconds=0.3)
    assert [timings.retry_delay(attempts).total_seconds() for attempts in (1, 2, 3, 4, 5)] == [
        0.05, 0.1, 0.2, 0.3, 0.3,
    ]


@asynccontextmanager
async def running(loop: WakeLoop) -> AsyncIterator[WakeLoop]:
    task = asyncio.create_task(loop.run_forever())
    try:
        yield loop
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def counting(rounds: list[float], work: Callable[[], None] = lambda: None) -> WakeLoop:
    """A loop whose rounds record the event loop's time, then run ``work``."""

    async def round_() -> None:
        rounds.append(asyncio.get_running_loop().time())
        work()

    return WakeLoop("test", round_, idle_wake_seconds=NEVER)


async def test_a_round_runs_at_start_and_once_per_wake() -> None:
    rounds: list[float] = []
    async with running(counting(rounds)) as loop:
        await eventually(lambda: loop.rounds == 1, timeout=2)
        loop.wake()
        assert await loop.wait_for_round_after(1, wait_seconds=2)
        loop.wake()
        loop.wake()  # wakes before the round runs are one round
        assert await loop.wait_for_round_after(2, wait_seconds=2)
        assert not await loop.wait_for_round_after(3, wait_seconds=0.05)
    assert len(rounds) == 3


async def test_a_wake_during_a_round_is_kept_for_the_next_round() -> None:
    rounds: list[float] = []
    loop_holder: list[WakeLoop] = []

    def wake_from_inside_the_first_round() -> None:
        if len(rounds) == 1:
            loop_holder[0].wake()

    loop = counting(rounds, wake_from_inside_the_first_round)
    loop_holder.append(loop)
    async with running(loop):
        assert await loop.wait_for_round_after(1, wait_seconds=2)
        assert not await loop.wait_for_round_after(2, wait_seconds=0.05)
    assert len(rounds) == 2


async def test_unwoken_the_loop_runs_again_after_its_idle_wake() -> None:
    rounds: list[float] = []

    async def round_() -> None:
        rounds.append(asyncio.get_running_loop().time())

    async with running(WakeLoop("test", round_, idle_wake_seconds=0.05)) as loop:
        assert await loop.wait_for_round_after(2, wait_seconds=2)
    assert rounds[1] - rounds[0] >= 0.05 * 0.9


async def test_wake_later_runs_a_round_then_and_the_earliest_request_wins() -> None:
    rounds: list[float] = []
    async with running(counting(rounds)) as loop:
        await eventually(lambda: loop.rounds == 1, timeout=2)
        asked = asyncio.get_running_loop().time()
        loop.wake_later(NEVER)
        loop.wake_later(0.1)
        loop.wake_later(0.5)  # later than the one already asked for: changes nothing
        assert await loop.wait_for_round_after(1, wait_seconds=2)
        assert not await loop.wait_for_round_after(2, wait_seconds=0.6)
    assert 0.1 * 0.9 <= rounds[1] - asked < 0.5


async def test_wake_later_works_again_after_it_fired() -> None:
    rounds: list[float] = []
    async with running(counting(rounds)) as loop:
        await eventually(lambda: loop.rounds == 1, timeout=2)
        loop.wake_later(0.02)
        assert await loop.wait_for_round_after(1, wait_seconds=2)
        loop.wake_later(0.02)
        assert await loop.wait_for_round_after(2, wait_seconds=2)


async def test_a_crashing_round_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[float] = []

    def crash_first() -> None:
        if len(rounds) == 1:
            raise RuntimeError("a bug in one round")

    async with running(counting(rounds, crash_first)) as loop:
        await eventually(lambda: loop.rounds == 1, timeout=2)
        loop.wake()
        assert await loop.wait_for_round_after(1, wait_seconds=2)
    assert len(rounds) == 2
    (crash,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert crash.getMessage() == "test round crashed; retrying shortly"
    assert crash.exc_info is not None and "a bug in one round" in str(crash.exc_info[1])


async def test_a_loop_woken_in_the_moment_it_is_stopped_stops() -> None:
    # The wake (a worker finishing, a retry falling due) lands in the same turn of the event
    # loop as the stop's cancel. asyncio.wait_for on Python 3.11 then returns the wake and
    # drops the cancel: the loop ran on forever and the bot's shutdown waited on it.
    rounds: list[float] = []
    loop = counting(rounds)
    task = asyncio.create_task(loop.run_forever())
    try:
        await eventually(lambda: loop.rounds == 1, timeout=2)
        loop.wake()
        await asyncio.sleep(0)  # the wait sees its wake…
        task.cancel()  # …in the turn the stop arrives
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done == {task} and task.cancelled(), "the cancelled loop went on running"
    finally:
        task.cancel()
