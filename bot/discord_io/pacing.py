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
- One process (role ``all``) takes its turns here, in memory (``SendPacer``). Processes that
  share a bot token (the PostgreSQL roles: the deliverer, the gateways) take them from one
  database row instead (``SharedPace``, ``storage.pace``), so all of them together stay
  under the one global limit. Exemptions and the invalid-request brake stay in each
  process: Discord counts invalid requests per IP, so per machine, and one role process
  per machine counts them all; several on one machine each brake on their own count
  (each then pauses late by at most the others' share).
- A shared turn is on the database's clock. Each process maps it onto its own
  (``DatabaseClock``: the offset seen by the quickest recent reservation), sleeps until it,
  and checks it is not late just before the request goes: a turn judged late from the
  moment the reservation's answer arrived hid its round trip (up to 0.28 s in the
  distributed soak, the database or this event loop busy), and late requests bunched with
  the next ones in Discord's window (issue 18). A turn later than ``LATE_TURN_SECONDS`` is
  given up and a fresh one reserved. A reservation asks for a turn at least a lead ahead
  (``RESERVE_LEAD_SECONDS``, plus the lateness of a turn just given up), so an idle row's
  turn is still ahead when its answer lands.
- The shared pace runs at ``SHARED_REQUESTS_PER_SECOND`` (46), below a single process's 48:
  Discord counts each request when it arrives, and a request may arrive after its turn by
  the lateness allowed plus the send and the network (the distributed soak measured p99s
  of 20-57 ms, turn to the sandbox's stamp, two cores under fifteen processes). At ``r`` a
  second, a window holds at most ``r × (1 + spread) + 1`` requests: at 48 a spread over
  21 ms makes 51; at 46 up to 65 ms fits in 50, and a burst still runs at 0.92 of 50 a
  second (the delivery burst's target is 0.9).
- When the database cannot be reached, a shared pace falls back to this process's own turns
  (logged): requests slow to one process's pace, never stop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable
from types import SimpleNamespace
from typing import Protocol

import aiohttp

from storage import Database
from storage.pace import PaceRow, ReservedTurn

log = logging.getLogger(__name__)

GLOBAL_REQUESTS_PER_SECOND = 48  # Discord allows 50; the margin absorbs network jitter
SHARED_REQUESTS_PER_SECOND = 46  # across processes: see the rules above
LATE_TURN_SECONDS = 0.01  # a shared turn later than this is given up for a fresh one
RESERVE_LEAD_SECONDS = 0.025  # an idle row's turn comes this long after the reservation
MAX_RESERVE_LEAD_SECONDS = 1.0
CLOCK_REFRESH_SECONDS = 10.0
INVALID_WINDOW_SECONDS = 600.0
INVALID_PAUSE_THRESHOLD = 1000
INVALID_PAUSE_SECONDS = 300.0
INVALID_STATUSES = frozenset({401, 403, 429})
INTERACTION_CALLBACK = re.compile(r"/interactions/\d+/[^/]+/callback$")


class RequestPacer(Protocol):
    """What the bot needs of a pacer: this process's ``SendPacer``, or one shared by every
    process of the bot (the global limit is per bot token, not per process)."""

    def exempt_application(self, application_id: int) -> None:
        """Let the application's interaction follow-ups skip the global turns."""

    def trace_config(self) -> aiohttp.TraceConfig:
        """Return the aiohttp hooks that pace every request."""


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


class DatabaseClock:
    """The database's clock seen from this process: ``database time - offset`` is local time.

    Each reservation brackets the database's now between the local clock before and after
    its round trip; the offset is taken from the quickest one (the narrowest bracket, so
    the most exact), and renewed from the quickest of the last ``CLOCK_REFRESH_SECONDS``
    so that the two clocks' drift never adds up.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._round_trip = math.inf
        self._candidate: tuple[float, float] | None = None
        self._candidate_since: float | None = None

    def observe(self, started: float, reserved: ReservedTurn, finished: float) -> None:
        """Learn from one reservation sent at ``started`` and answered at ``finished``."""
        round_trip = finished - started
        offset = reserved.now - (started + finished) / 2
        if round_trip <= self._round_trip:
            self._round_trip, self._offset = round_trip, offset
        if self._candidate is None or round_trip <= self._candidate[0]:
            self._candidate = (round_trip, offset)
        if self._candidate_since is None:
            self._candidate_since = finished
        elif finished - self._candidate_since >= CLOCK_REFRESH_SECONDS:
            self._round_trip, self._offset = self._candidate
            self._candidate, self._candidate_since = None, finished

    def turn_at(self, started: float, reserved: ReservedTurn, finished: float) -> float:
        """The local time of the reserved turn. The database read its now between
        ``started`` and ``finished``, whatever the offset says (the first reservations of
        a process may all be slow ones)."""
        estimate = reserved.turn - self._offset
        return min(max(estimate, started + reserved.wait), finished + reserved.wait)


class SharedPace(SendPacer):
    """The global limit's turns taken from the database's pace row (``storage.pace``),
    shared by every process of the bot; exemptions and the brake as ``SendPacer``'s."""

    def __init__(
        self,
        database: Database,
        per_second: int = SHARED_REQUESTS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        row: PaceRow | None = None,
    ) -> None:
        super().__init__(per_second, clock)
        self._row = row if row is not None else PaceRow(database)
        self._database_clock = DatabaseClock()
        self._falling_back = False
        self.turn_seconds: deque[float] = deque(maxlen=100_000)
        """How long each reservation took (the statement's round trip), newest last."""
        self.turns = 0
        self.late_turns = 0
        """Turns given up because the request would have gone later than its turn allows."""

    async def wait_turn(self) -> None:
        """Wait for the invalid-request brake, then for a turn reserved from the pace row.

        A request later than ``LATE_TURN_SECONDS`` after its turn (the reservation's answer
        or this event loop was slow) reserves a fresh turn rather than going with the next
        ones; lateness is judged on the database's clock, so a slow round trip counts too.
        """
        await self.wait_exempt()
        lead = RESERVE_LEAD_SECONDS
        while True:
            started = self._clock()
            try:
                reserved = await self._row.reserve(self._spacing, lead)
            except Exception:
                if not self._falling_back:
                    log.warning(
                        "the shared pace row cannot be reached: pacing this process alone",
                        exc_info=True,
                    )
                    self._falling_back = True
                await super().wait_turn()
                return
            finished = self._clock()
            if self._falling_back:
                log.warning("the shared pace row answers again")
                self._falling_back = False
            self.turn_seconds.append(finished - started)
            self.turns += 1
            self._database_clock.observe(started, reserved, finished)
            turn = self._database_clock.turn_at(started, reserved, finished)
            if turn > finished:
                await asyncio.sleep(turn - finished)
            late = self._clock() - turn
            if late <= LATE_TURN_SECONDS:
                return
            self.late_turns += 1
            lead = min(late + RESERVE_LEAD_SECONDS, MAX_RESERVE_LEAD_SECONDS)
