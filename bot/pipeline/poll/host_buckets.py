"""The host buckets one poller holds, so that per-host politeness survives many pollers.

Rules (DESIGN.md §8):
- Hosts hash into ``HOST_BUCKETS`` buckets; a poller claims only feeds of the buckets it
  holds, so one host is fetched by one process and the fetcher's per-host limit stays true.
- Every poller takes its fair share, ``ceil(HOST_BUCKETS / live pollers)``, the live ones
  being those whose announcement has not run out. A poller holding more than its share (a
  new poller appeared) stops claiming from the extra buckets at once and frees each as soon
  as none of its feeds is still being checked, so two processes never fetch one host.
- Each round (every third of the lease, and whenever woken) announces the poller, renews
  its leases and takes or frees buckets. A poller that dies stops renewing: its buckets are
  taken over once their lease runs out.
- ``changed`` is called when this poller freed buckets or joined (so the others look again)
  and ``took`` when it took buckets (so its own claimer looks for their due feeds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable

from storage.poll_buckets import HOST_BUCKETS, PollBucketRepository

log = logging.getLogger(__name__)


class HostBuckets:
    """This poller's host buckets: which it may claim from, and the lease keeping them."""

    def __init__(
        self,
        repository: PollBucketRepository,
        holder: str,
        lease_seconds: float,
        *,
        changed: Callable[[], Awaitable[None]] | None = None,
        took: Callable[[], None] | None = None,
    ) -> None:
        self._repository = repository
        self.holder = holder
        self._lease_seconds = lease_seconds
        self._changed = changed
        self._took = took
        self._held: set[int] = set()
        self._draining: set[int] = set()
        self._checking: Counter[int] = Counter()
        self._wake = asyncio.Event()
        self.rounds = 0

    @property
    def held(self) -> frozenset[int]:
        """The buckets this poller holds (claimable or being freed)."""
        return frozenset(self._held)

    def claimable(self) -> list[int]:
        """Return the buckets whose due feeds this poller may claim now."""
        return sorted(self._held - self._draining)

    def checking(self, bucket: int | None) -> None:
        """Note that a feed of ``bucket`` was claimed and is not finished yet."""
        if bucket is not None:
            self._checking[bucket] += 1

    def finished(self, bucket: int | None) -> None:
        """Note that a claimed feed of ``bucket`` was checked (or given back)."""
        if bucket is None:
            return
        self._checking[bucket] -= 1
        if self._checking[bucket] <= 0:
            del self._checking[bucket]
            if bucket in self._draining:
                self._wake.set()  # the last feed of a bucket being freed: free it now

    def wake(self) -> None:
        """Run a round now: another poller joined or freed buckets."""
        self._wake.set()

    async def rebalance(self) -> None:
        """Announce this poller, renew its leases, and take or free buckets toward its share."""
        live = await self._repository.announce(self.holder, self._lease_seconds)
        share = math.ceil(HOST_BUCKETS / live)
        renewed = set(await self._repository.renew(self.holder, self._lease_seconds))
        lost = self._held - renewed
        if lost:
            log.warning("host buckets lost to another poller buckets=%d", len(lost))
        self._held = renewed
        keep = set(sorted(self._held)[:share])
        self._draining = self._held - keep
        free_now = sorted(bucket for bucket in self._draining if bucket not in self._checking)
        if free_now:
            await self._repository.release(self.holder, free_now)
            self._held -= set(free_now)
            self._draining -= set(free_now)
        taken: list[int] = []
        if len(self._held) < share:
            taken = await self._repository.take(
                self.holder, share - len(self._held), self._lease_seconds
            )
            self._held |= set(taken)
        self.rounds += 1
        if taken and self._took is not None:
            self._took()
        if free_now and self._changed is not None:
            await self._changed()
        log.debug(
            "host buckets live=%d share=%d held=%d draining=%d took=%d freed=%d",
            live, share, len(self._held), len(self._draining), len(taken), len(free_now),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Rebalance until ``stop`` is set (every third of the lease, and when woken); a
        failed round is logged and retried, and the leases simply run out if it keeps
        failing."""
        first = True
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.rebalance()
                if first and self._changed is not None:
                    first = False
                    await self._changed()  # a newcomer: the others shrink to their share
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("host bucket round failed; retrying")
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            try:
                await asyncio.wait(
                    waits, timeout=self._lease_seconds / 3, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for waiting in waits:
                    waiting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiting

    async def leave(self) -> None:
        """Free every bucket and forget this poller (on stop), telling the others."""
        await self._repository.leave(self.holder)
        self._held.clear()
        self._draining.clear()
        if self._changed is not None:
            await self._changed()
