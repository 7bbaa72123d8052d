"""Pacing sends so a burst finishes near Discord's limits without a single 429.

Rules:
- discord.py already follows each route's bucket from the ``X-RateLimit-*`` headers (per
  channel for message sends). What it cannot know in advance is the **global** limit (50
  requests per second per bot), so every send takes a slot from a sliding one-second window
  of ``GLOBAL_SENDS_PER_SECOND``: no one-second span ever holds more, whatever its alignment.
- Invalid requests (401, 403, 429) are counted over ten minutes. Discord bans a bot for a
  while past 10,000 of them; well before that (``INVALID_PAUSE_THRESHOLD``) sending pauses
  for ``INVALID_PAUSE`` so a misconfigured server cannot get every server's posts banned.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)

GLOBAL_SENDS_PER_SECOND = 48  # Discord allows 50; the margin absorbs network jitter
INVALID_WINDOW_SECONDS = 600.0
INVALID_PAUSE_THRESHOLD = 1000
INVALID_PAUSE_SECONDS = 300.0


class SendPacer:
    """A global sliding-window limiter with an invalid-request brake."""

    def __init__(
        self,
        per_second: int = GLOBAL_SENDS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_second = per_second
        self._clock = clock
        self._recent: deque[float] = deque()
        self._invalid: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait until one more send fits the global window (and no brake is on)."""
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) < self._per_second:
                    self._recent.append(now)
                    break
                await asyncio.sleep(1.0 - (now - self._recent[0]) + 0.001)
        yield

    def record_invalid(self) -> None:
        """Count an invalid request; pause all sending when too many happened recently."""
        now = self._clock()
        self._invalid.append(now)
        while self._invalid and now - self._invalid[0] > INVALID_WINDOW_SECONDS:
            self._invalid.popleft()
        if len(self._invalid) >= INVALID_PAUSE_THRESHOLD and now >= self._paused_until:
            self._paused_until = now + INVALID_PAUSE_SECONDS
            log.error(
                "too many invalid requests (%d in %.0f s): pausing sends for %.0f s",
                len(self._invalid), INVALID_WINDOW_SECONDS, INVALID_PAUSE_SECONDS,
            )

    @property
    def invalid_count(self) -> int:
        """Return the invalid requests counted in the current window."""
        return len(self._invalid)

    @property
    def paused(self) -> bool:
        """Return whether sending is paused by the invalid-request brake."""
        return self._clock() < self._paused_until
