"""The pacer: evenly spaced turns, no burst after a stall, a brake on invalid requests."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bot.discord_io.pacing import INVALID_PAUSE_THRESHOLD, SendPacer


async def test_turns_are_evenly_spaced() -> None:
    pacer = SendPacer(per_second=50)
    stamps: list[float] = []

    async def request() -> None:
        await pacer.wait_turn()
        stamps.append(time.monotonic())

    await asyncio.gather(*(request() for _ in range(25)))
    # Turns are 1/50 s apart; a late timer may shorten one gap, never bunch a window.
    busiest_tenth = max(sum(1 for t in stamps if 0 <= t - start < 0.1) for start in stamps)
    assert busiest_tenth <= 6
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



async def test_interaction_replies_do_not_queue_behind_posts(answering_api: str) -> None:
    """Through the real trace hook: a reply goes at once while 60 posts wait their turns."""
    pacer = SendPacer(per_second=50)
    pacer.exempt_application(42)
    base = answering_api
    finished: dict[str, float] = {}
    async with aiohttp.ClientSession(trace_configs=[pacer.trace_config()]) as session:

        async def post(path: str) -> None:
            async with session.post(base + path) as response:
                await response.read()
            finished[path] = time.monotonic()

        began = time.monotonic()
        posts = [asyncio.create_task(post(f"/channels/{n}/messages")) for n in range(60)]
        await asyncio.sleep(0.05)  # the posts have taken every turn of the next 1.2 s
        await post("/interactions/7/token/callback")
        await post("/webhooks/42/token/messages/@original")
        replied = time.monotonic() - began
        await asyncio.gather(*posts)
        posted = time.monotonic() - began
    assert replied < 0.5
    assert posted >= 59 / 50 * 0.9  # the posts kept their spacing
    assert pacer.is_exempt("/api/v10/webhooks/42/token")
    assert not pacer.is_exempt("/api/v10/webhooks/43/token")  # a channel's webhook is paced
    assert not pacer.is_exempt("/api/v10/channels/1/messages")
