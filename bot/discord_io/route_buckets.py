"""discord.py's per-route rate limit buckets, answering the request that empties one at once.

Rules:
- discord.py keeps one bucket per route (per channel for message sends) from the
  ``X-RateLimit-*`` headers. When a request empties its bucket (a channel's fifth message in
  Discord's 5-second window), stock discord.py holds that request's answer until the bucket
  resets, up to the whole window, so the caller cannot record what it already sent: in the
  distributed delivery burst the fifth post of every window was recorded 0.96 s (median) and
  up to 2.8 s after Discord had it, while every other post was recorded within 26 ms
  (issue 18).
- ``AnswerFirstBucket`` returns that answer at once and sleeps out the reset in a task of
  its own; the bucket's state is what discord.py's own sleep leaves it in: the next request
  on the route waits in ``acquire`` until the reset wakes it, so nothing more is sent in the
  window than before. Every other path is discord.py's.
- ``answer_first`` plugs it into a client's HTTP client (its buckets are made there).
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord.http import Ratelimit


class AnswerFirstBucket(Ratelimit):
    """A discord.py bucket whose emptying request is answered before the reset is slept."""

    def __init__(self, max_ratelimit_timeout: float | None) -> None:
        super().__init__(max_ratelimit_timeout)
        self._resetting: asyncio.Task[None] | None = None

    async def __aexit__(self, kind: Any, value: Any, traceback: Any) -> None:
        emptied = self.remaining - (self.outgoing - 1) <= 0
        sleeping = self._sleeping.locked() or (
            self._resetting is not None and not self._resetting.done()
        )
        if not emptied or sleeping:
            await super().__aexit__(kind, value, traceback)
            return
        self.outgoing -= 1
        # discord.py awaits this here; a task keeps the bucket's waiters as they were.
        self._resetting = asyncio.ensure_future(self._refresh())


def answer_first(client: discord.Client) -> None:
    """Make ``client``'s HTTP client create ``AnswerFirstBucket``s for its routes."""
    http = client.http

    def get_ratelimit(key: str) -> Ratelimit:
        bucket = http._buckets.get(key)
        if bucket is None:
            bucket = http._buckets[key] = AnswerFirstBucket(http.max_ratelimit_timeout)
            http._try_clear_expired_ratelimits()
        return bucket

    http.get_ratelimit = get_ratelimit  # type: ignore[method-assign]

