"""When a gateway shard may IDENTIFY: Discord's buckets and daily budget, for every process.

Discord (Gateway page, "Sharding" and "Identifying"): shards start in buckets of
``max_concurrency`` (a shard's bucket is ``shard_id % max_concurrency``), one IDENTIFY per
bucket every 5 seconds, and at most ``session_start_limit.total`` (1,000) a day for the whole
bot; an IDENTIFY past the day's count resets the bot's token.

Rules:
- Every IDENTIFY of the bot (first start, a shard's re-identify after an invalid session)
  waits here, in discord.py's ``before_identify_hook``.
- Turns are ``IDENTIFY_SPACING_SECONDS`` apart per bucket: Discord's 5 s and a margin, so an
  IDENTIFY sent on time never arrives early because the one before it was late.
- Past the day's count less ``IDENTIFY_RESERVE`` a shard stays offline until the count
  refills, saying so in the log every ``SPENT_RECHECK_SECONDS``: a shard offline for a while
  is better than a token Discord reset. The reserve covers identifies this count does not
  see (a console run with the same token).
- Across processes and machines the turns are one PostgreSQL row per bucket
  (``storage.identify_turns``); one process on SQLite keeps them here, in memory
  (``LocalIdentifyTurns``): it alone identifies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from storage.identify_turns import DAY_SECONDS, IdentifyTurn

log = logging.getLogger(__name__)

IDENTIFY_SPACING_SECONDS = 5.5
IDENTIFY_RESERVE = 10
SPENT_RECHECK_SECONDS = 300.0


@dataclass(frozen=True)
class SessionStartLimit:
    """What ``GET /gateway/bot`` says of session starts."""

    total: int
    remaining: int
    reset_after_seconds: float
    max_concurrency: int


class IdentifyTurns(Protocol):
    """Where the turns are kept: in this process, or in the shared database."""

    async def prepare(self, max_concurrency: int, total: int) -> None:
        """Make sure every bucket and the budget exist."""

    async def record_limit(self, total: int, remaining: int, reset_after_seconds: float) -> None:
        """Record what Discord says of the day's session starts."""

    async def take(self, bucket: int, spacing_seconds: float, reserve: int) -> IdentifyTurn:
        """Take the bucket's next turn and one session start, or neither (budget spent)."""


@dataclass
class LocalIdentifyTurns:
    """The turns of one process that alone identifies (role ``all`` on SQLite)."""

    clock: Callable[[], float] = time.monotonic
    _next_at: dict[int, float] = field(default_factory=dict)
    _total: int = 1000
    _remaining: int = 1000
    _resets_at: float | None = None

    async def prepare(self, max_concurrency: int, total: int) -> None:
        """Nothing to create: buckets appear on first use."""
        self._total = total
        if self._resets_at is None:
            self._remaining = total
            self._resets_at = self.clock() + DAY_SECONDS

    async def record_limit(self, total: int, remaining: int, reset_after_seconds: float) -> None:
        """Take Discord's count (this process is the only one identifying)."""
        self._total, self._remaining = total, remaining
        self._resets_at = self.clock() + reset_after_seconds

    async def take(self, bucket: int, spacing_seconds: float, reserve: int) -> IdentifyTurn:
        """Take the bucket's next turn, as the shared table does."""
        now = self.clock()
        if self._resets_at is None or now >= self._resets_at:
            self._remaining, self._resets_at = self._total, now + DAY_SECONDS
        resets_in = self._resets_at - now
        if self._remaining <= reserve:
            return IdentifyTurn(None, None, self._remaining, resets_in)
        self._remaining -= 1
        turn = max(self._next_at.get(bucket, now), now)
        self._next_at[bucket] = turn + spacing_seconds
        return IdentifyTurn(turn - now, turn, self._remaining, resets_in)


class IdentifyGate:
    """Makes each IDENTIFY wait for its bucket's turn within the day's budget."""

    def __init__(
        self,
        turns: IdentifyTurns,
        fetch_limit: Callable[[], Awaitable[SessionStartLimit]],
        *,
        spacing_seconds: float = IDENTIFY_SPACING_SECONDS,
        reserve: int = IDENTIFY_RESERVE,
        spent_recheck_seconds: float = SPENT_RECHECK_SECONDS,
    ) -> None:
        self._turns = turns
        self._fetch_limit = fetch_limit
        self._spacing = spacing_seconds
        self._reserve = reserve
        self._spent_recheck = spent_recheck_seconds
        self._max_concurrency: int | None = None
        self._lock = asyncio.Lock()

    @property
    def max_concurrency(self) -> int | None:
        """Discord's ``max_concurrency`` as last read (None before the first turn)."""
        return self._max_concurrency

    async def refresh(self) -> None:
        """Read the session start limit from Discord and record it."""
        limit = await self._fetch_limit()
        await self._turns.prepare(limit.max_concurrency, limit.total)
        await self._turns.record_limit(limit.total, limit.remaining, limit.reset_after_seconds)
        self._max_concurrency = max(1, limit.max_concurrency)
        log.info(
            "session start limit max_concurrency=%d remaining=%d/%d resets_in=%.0fs",
            limit.max_concurrency, limit.remaining, limit.total, limit.reset_after_seconds,
        )

    async def wait_for_turn(self, shard_id: int) -> None:
        """Return when shard ``shard_id`` may send its IDENTIFY."""
        async with self._lock:
            if self._max_concurrency is None:
                await self.refresh()
        while True:
            assert self._max_concurrency is not None
            bucket = shard_id % self._max_concurrency
            turn = await self._turns.take(bucket, self._spacing, self._reserve)
            if turn.wait_seconds is not None:
                log.info(
                    "shard %d identifies in %.1fs (bucket %d, %d session starts left today)",
                    shard_id, turn.wait_seconds, bucket, turn.remaining,
                )
                if turn.wait_seconds > 0:
                    await asyncio.sleep(turn.wait_seconds)
                return
            log.error(
                "shard %d stays offline: today's session starts are spent (%d left, kept in "
                "reserve); they refill in %.0f s",
                shard_id, turn.remaining, turn.resets_in_seconds,
            )
            await asyncio.sleep(min(max(turn.resets_in_seconds, 1.0), self._spent_recheck))
            await self.refresh()
