"""How long the pipeline waits: the timings it is built with, and the loop the reader and the
deliverer run on.

Rules:
- Every wait of the pipeline's background loops is a value passed in (``PipelineTimings``),
  built once by the composition root; production uses the defaults, tests pass short ones.
- A ``WakeLoop`` runs a round as soon as it is woken; it also wakes by itself after
  ``idle_wake_seconds`` (work queued by another process, a missed wake) and at a time asked
  for with ``wake_later`` (a retry falling due). A wake that arrives during a round is kept:
  the next round starts at once.
- A round that raises is logged and retried on the next wake: the loop never dies of a bug.
  Only the exceptions it is told end it (``ends_on``: a leader's lost lease) stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineTimings:
    """The pipeline's waits, in seconds."""

    idle_wake_seconds: float = 5.0
    """The reader and the deliverer look for work at least this often, unwoken."""
    retry_base_seconds: float = 5.0
    """A failed send is retried after this long, twice as long after each further failure…"""
    retry_cap_seconds: float = 3600.0
    """…but never after longer than this."""

    def retry_delay(self, attempts: int) -> timedelta:
        """Return how long to wait before the next attempt after ``attempts`` failures."""
        seconds = self.retry_base_seconds * 2 ** (max(attempts, 1) - 1)
        return timedelta(seconds=min(seconds, self.retry_cap_seconds))


class WakeLoop:
    """Runs ``work`` once per wake until cancelled, counting the finished rounds."""

    def __init__(
        self, name: str, work: Callable[[], Awaitable[object]], idle_wake_seconds: float,
        *, ends_on: tuple[type[Exception], ...] = (),
    ) -> None:
        self._name = name
        self._ends_on = ends_on
        self._work = work
        self._idle_wake_seconds = idle_wake_seconds
        self._wake = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._finished = asyncio.Condition()
        self.rounds = 0

    def wake(self) -> None:
        """Start a round now (or right after the running one)."""
        self._wake.set()

    def wake_later(self, seconds: float) -> None:
        """Start a round in ``seconds`` at the latest (the earliest such request wins)."""
        loop = asyncio.get_running_loop()
        when = loop.time() + max(seconds, 0.0)
        if self._timer is not None:
            if self._timer.when() <= when:
                return
            self._timer.cancel()
        self._timer = loop.call_at(when, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        self._wake.set()

    async def run_forever(self) -> None:
        """Run rounds until cancelled; a crashed round is logged and the loop goes on, unless
        it raised one of ``ends_on``, which ends the loop."""
        try:
            while True:
                try:
                    await self._work()
                except asyncio.CancelledError:
                    raise
                except self._ends_on:
                    raise
                except Exception:
                    log.exception("%s round crashed; retrying shortly", self._name)
                self.rounds += 1
                async with self._finished:
                    self._finished.notify_all()
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns a wake that
                # lands in the same turn as a cancel and drops the cancel, so the loop went
                # on forever and whoever stopped it waited for ever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_wake_seconds):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            if self._timer is not None:
                self._timer.cancel()

    async def wait_for_round_after(self, rounds: int, wait_seconds: float) -> bool:
        """Wait until more than ``rounds`` rounds have finished; False after ``wait_seconds``."""
        async with self._finished:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_seconds):
                    await self._finished.wait_for(lambda: self.rounds > rounds)
        return self.rounds > rounds
