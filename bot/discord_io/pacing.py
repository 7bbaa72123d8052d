"""Pacing every request to Discord so a burst finishes near its limits without a 429.

Rules:
- discord.py follows each route's bucket from the ``X-RateLimit-*`` headers (per channel for
  message sends). What it cannot know in advance is the **global** limit (50 requests per
  second per bot), so every HTTP request the bot makes waits for its turn here, one every
  1/``GLOBAL_REQUESTS_PER_SECOND`` s, at the moment it is sent: retries after a 429, command
  syncs included. Evenly spaced turns keep every one-second span, whatever its alignment,
  under the limit.
- Interaction replies and follow-ups (``/interactions/…`` and ``/webhooks/<application id>/…``)
  do not count against the global limit on Discord, and a reply has 3 s: they never queue
  behind a burst of posts (a command answered after the burst is an "Unknown interaction").
  Only the invalid-request brake holds them.
- Invalid requests (401, 403, 429 answers) are counted over ten minutes. Discord bans a bot
  for a while past 10,000 of them; well before that (``INVALID_PAUSE_THRESHOLD``) requests
  pause for ``INVALID_PAUSE_SECONDS`` so one misconfigured server cannot get every server's
  posts banned.
- The pacer plugs into discord.py's HTTP session as an aiohttp ``TraceConfig``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from types import SimpleNamespace

import aiohttp

log = logging.getLogger(__name__)

GLOBAL_REQUESTS_PER_SECOND = 48  # Discord allows 50; the margin absorbs network jitter
INVALID_WINDOW_SECONDS = 600.0
INVALID_PAUSE_THRESHOLD = 1000
INVALID_PAUSE_SECONDS = 300.0
INVALID_STATUSES = frozenset({401, 403, 429})
INTERACTION_CALLBACK = re.compile(r"/interactions/\d+/[^/]+/callback$")


class SendPacer:
    """Evenly spaced turns for every request, with an invalid-request brake."""

    def __init__(
        self,
        per_second: int = GLOBAL_REQUESTS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spacing = 1.0 / per_second
        self._clock = clock
        self._next_turn = 0.0
        self._invalid: deque[float] = deque()
        self._paused_until = 0.0
        self._follow_up_prefix: str | None = None

    def exempt_application(self, application_id: int) -> None:
        """Let the application's interaction follow-ups skip the global turns."""
        self._follow_up_prefix = f"/webhooks/{application_id}/"

    def is_exempt(self, path: str) -> bool:
        """Return whether a request to ``path`` is outside Discord's global limit."""
        if INTERACTION_CALLBACK.search(path):
            return True
        return self._follow_up_prefix is not None and self._follow_up_prefix in path

    async def wait_exempt(self) -> None:
        """Wait only for the invalid-request brake (for requests outside the global limit)."""
        pause = self._paused_until - self._clock()
        if pause > 0:
            await asyncio.sleep(pause)

    async def wait_turn(self) -> None:
        """Wait until this request may go (no lock is held while waiting).

        A request that wakes late (the event loop was busy) takes a fresh turn instead of
        going at once: otherwise every request of a stall would leave together, a burst.
        """
        while True:
            now = self._clock()
            turn = max(now, self._next_turn, self._paused_until)
            self._next_turn = turn + self._spacing
            if turn <= now:
                return
            await asyncio.sleep(turn - now)
            if self._clock() - turn <= self._spacing:
                return

    def record_status(self, status: int) -> None:
        """Count an invalid answer; pause all requests when too many happened recently."""
        if status not in INVALID_STATUSES:
            return
        now = self._clock()
        self._invalid.append(now)
        while self._invalid and now - self._invalid[0] > INVALID_WINDOW_SECONDS:
            self._invalid.popleft()
        if len(self._invalid) >= INVALID_PAUSE_THRESHOLD and now >= self._paused_until:
            self._paused_until = now + INVALID_PAUSE_SECONDS
            log.error(
                "too many invalid requests (%d in %.0f s): pausing requests for %.0f s",
                len(self._invalid), INVALID_WINDOW_SECONDS, INVALID_PAUSE_SECONDS,
            )

    @property
    def invalid_count(self) -> int:
        """Return the invalid answers counted in the current window."""
        return len(self._invalid)

    @property
    def paused(self) -> bool:
        """Return whether requests are paused by the invalid-request brake."""
        return self._clock() < self._paused_until

    def trace_config(self) -> aiohttp.TraceConfig:
        """Return the aiohttp hooks that pace every request and count invalid answers."""
        trace = aiohttp.TraceConfig()

        async def on_start(
            _session: aiohttp.ClientSession, _context: SimpleNamespace,
            params: aiohttp.TraceRequestStartParams,
        ) -> None:
            if self.is_exempt(params.url.path):
                await self.wait_exempt()
            else:
                await self.wait_turn()

        async def on_end(
            _session: aiohttp.ClientSession, _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            self.record_status(params.response.status)

        trace.on_request_start.append(on_start)
        trace.on_request_end.append(on_end)
        return trace
