"""The sandbox's interaction clock: real monotonic time plus an offset tests can advance.

Rules:
- `now()` is `time.monotonic()` plus every `advance()` so far; it only
  ever moves forward; `wall_time()` is `time.time()` plus the same advances (the time
  new snowflakes and archive timestamps carry);
- deadlines that Discord enforces on interactions (3 s for the first
  response, 15 min for the token) are measured on this clock, so a test can
  jump past them with `advance()` instead of sleeping;
- `wait()` returns as soon as one of its events is set, or `False` once the
  clock reaches the deadline, whether by real time passing or by `advance()`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence


class SandboxClock:
    """Monotonic seconds with a test-controlled offset."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._advanced = asyncio.Event()

    def now(self) -> float:
        """The current time in seconds (monotonic, plus any advance)."""
        return time.monotonic() + self._offset

    def wall_time(self) -> float:
        """Epoch seconds as the sandbox's Discord sees them (real time, plus any advance)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward by `seconds` and wake every waiter."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self._offset += seconds
        self._advanced.set()
        self._advanced = asyncio.Event()

    async def wait(self, events: Sequence[asyncio.Event], deadline: float) -> bool:
        """Wait until one of `events` is set (True) or the clock reaches `deadline` (False)."""
        while not any(event.is_set() for event in events):
            remaining = deadline - self.now()
            if remaining <= 0:
                return False
            watched = [*events, self._advanced]
            waiters = [asyncio.ensure_future(event.wait()) for event in watched]
            try:
                await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        return True
