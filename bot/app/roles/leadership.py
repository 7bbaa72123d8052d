"""Leadership of a role that must run in one process at a time (the desk, the deliverer).

Rules:
- Every process of such a role is a contender: one leads, the others stand by and take over
  within about one lease of the leader's death (``LEASE_SECONDS``; a clean stop hands over
  at once). That is far inside Discord's nonce window, so a post the old leader may have
  sent is found again, not sent twice.
- The leader renews its lease every ``RENEW_SECONDS``. When it has not managed to renew for
  ``LEASE_SECONDS - SAFETY_SECONDS`` (measured on its own monotonic clock from the moment
  the last renewal was sent), it stops its work before its lease can run out: a standby
  taking over never overlaps a leader that is still acting.
- Whatever the work raises, or however leadership ends, the work is cancelled and the
  contender stands by again; it never dies of a bug. The writes of a stale leader that
  slipped through are refused by the epoch (``storage.leases.check_fence``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bot.app.roles import process_name, sleep_unless_stopped
from storage.database import Database
from storage.leases import Fence, LeaseKeeper

log = logging.getLogger(__name__)

LEASE_SECONDS = 6.0
RENEW_SECONDS = 1.0
SAFETY_SECONDS = 2.0
# How often a standby tries for the advisory lock, and how long it waits after an error.
STANDBY_POLL_SECONDS = 0.5
RETRY_SECONDS = 2.0


class Leadership:
    """Contends for leadership of ``role`` and runs the work while leading."""

    def __init__(
        self, database: Database, role: str, holder: str | None = None, *,
        lease_seconds: float = LEASE_SECONDS, renew_seconds: float = RENEW_SECONDS,
        safety_seconds: float = SAFETY_SECONDS,
    ) -> None:
        if not database.dialect.is_postgres:
            raise ValueError("leadership across processes needs PostgreSQL")
        self._database = database
        self.role = role
        self.holder = holder or process_name()
        self._lease = lease_seconds
        self._renew = renew_seconds
        self._safety = safety_seconds
        self.terms = 0
        self.leading = asyncio.Event()

    async def lead(
        self, work: Callable[[Fence], Coroutine[Any, Any, None]], stop: asyncio.Event
    ) -> None:
        """Stand by, lead when possible, run ``work(fence)`` while leading; until ``stop``."""
        while not stop.is_set():
            connection: Any = None
            try:
                connection = await self._database.connect_alone()
                keeper = LeaseKeeper(connection, self.role, self.holder)
                epoch = await self._become_leader(keeper, stop)
                if epoch is not None:
                    await self._run_term(keeper, epoch, work, stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("leadership contest failed role=%s; trying again", self.role)
                await sleep_unless_stopped(stop, RETRY_SECONDS)
            finally:
                self.leading.clear()
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close()

    async def _become_leader(self, keeper: LeaseKeeper, stop: asyncio.Event) -> int | None:
        while not await keeper.try_lock():
            if await sleep_unless_stopped(stop, STANDBY_POLL_SECONDS):
                return None
        while True:
            taken = await keeper.take_over(self._lease)
            if isinstance(taken, int):
                return taken
            # The last leader died holding a lease: it may still be finishing a send.
            if await sleep_unless_stopped(stop, min(taken, self._lease) + 0.05):
                return None

    async def _run_term(
        self, keeper: LeaseKeeper, epoch: int, work: Callable[[Fence], Coroutine[Any, Any, None]],
        stop: asyncio.Event,
    ) -> None:
        self.terms += 1
        self.leading.set()
        log.info("leading role=%s epoch=%d holder=%s", self.role, epoch, self.holder)
        task = asyncio.create_task(work(Fence(self.role, epoch)), name=f"newsdesk-{self.role}")
        renewed_at = time.monotonic()
        reason = "stopped"
        try:
            while True:
                if stop.is_set():
                    break
                if task.done():
                    reason = "work ended"
                    if not task.cancelled() and task.exception() is not None:
                        log.error(
                            "leader work crashed role=%s", self.role, exc_info=task.exception()
                        )
                    break
                deadline = renewed_at + self._lease - self._safety
                if time.monotonic() >= deadline:
                    reason = "lease not renewed in time"
                    break
                sent_at = time.monotonic()
                try:
                    # asyncio.timeout, not wait_for: see WakeLoop (bot/pipeline/timings.py).
                    async with asyncio.timeout(max(deadline - sent_at, 0.01)):
                        renewed = await keeper.renew(epoch, self._lease)
                except (TimeoutError, OSError) as error:
                    log.warning("lease renewal failed role=%s error=%r", self.role, error)
                    reason = "lease renewal failed"
                    break
                if not renewed:
                    reason = "lease taken over"
                    break
                renewed_at = sent_at
                await _first_of(stop, task, self._renew)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            self.leading.clear()
            log.info("stopped leading role=%s epoch=%d reason=%s", self.role, epoch, reason)
            if reason in {"stopped", "work ended"}:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(keeper.step_down(epoch), timeout=2.0)


async def _first_of(stop: asyncio.Event, task: asyncio.Task[None], seconds: float) -> None:
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopping, task}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
