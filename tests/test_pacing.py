"""The pacer: evenly spaced turns, no burst after a stall, a brake on invalid requests."""

from __future__ import annotations

import asyncio
import itertools
import time

from bot.pacing import INVALID_PAUSE_THRESHOLD, SendPacer


async def test_turns_are_evenly_spaced() -> None:
    pacer = SendPacer(per_second=50)
    stamps: list[float] = []

    async def request() -> None:
        await pacer.wait_turn()
        stamps.append(time.monotonic())

    await asyncio.gather(*(request() for _ in range(25)))
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert min(gaps) > 0.015  # 1/50 s apart, give or take the timer
    assert stamps[-1] - stamps[0] >= 24 / 50 * 0.9


async def test_requests_waking_late_after_a_stall_do_not_burst() -> None:
    pacer = SendPacer(per_second=50)
    stamps: list[float] = []

    async def request() -> None:
        await pacer.wait_turn()
        stamps.append(time.monotonic())

    tasks = [asyncio.create_task(request()) for _ in range(20)]
    await asyncio.sleep(0)  # every request has taken its turn and sleeps
    time.sleep(0.5)  # noqa: ASYNC251 (a deliberate stall of the event loop)
    await asyncio.gather(*tasks)
    in_first_tenth = [stamp for stamp in stamps if stamp - stamps[0] < 0.1]
    assert len(in_first_tenth) <= 7  # about 5 per 0.1 s at 50/s, not all 20 at once


def test_too_many_invalid_answers_pause_requests() -> None:
    now = [1000.0]
    pacer = SendPacer(clock=lambda: now[0])
    states = []
    for _ in range(INVALID_PAUSE_THRESHOLD - 1):
        pacer.record_status(403)
    states.append(pacer.paused)
    pacer.record_status(200)
    states.append(pacer.paused)
    pacer.record_status(429)
    states.append(pacer.paused)
    assert states == [False, False, True]
    assert pacer.invalid_count == INVALID_PAUSE_THRESHOLD
