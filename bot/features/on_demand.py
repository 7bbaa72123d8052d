"""Allowances for what members trigger on demand: how often a member, and a whole server, may
make Newsdesk fetch a page for them (``/summarize``, ``/feed add``).

Rules: each command has a sliding window per member and per server; a use beyond either is
refused with a sentence saying when to try again, and refused uses do not count. What the
budget remembers is bounded by the uses of one window: keys whose uses all expired are
dropped at the next claim.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.errors import LimitReached


@dataclass(frozen=True)
class Allowance:
    """At most ``uses`` in any ``per`` window."""

    uses: int
    per: timedelta


@dataclass(frozen=True)
class OnDemandLimits:
    """A command's allowances for one member and for one whole server."""

    member: Allowance
    server: Allowance


SUMMARIZE_LIMITS = OnDemandLimits(
    member=Allowance(3, timedelta(minutes=1)), server=Allowance(10, timedelta(minutes=1))
)
# An admin setting a server up adds feeds in a row; the on-demand fetch slots already keep
# their fetches from crowding out the pollers, so this only stops a flood.
FEED_ADD_LIMITS = OnDemandLimits(
    member=Allowance(30, timedelta(minutes=1)), server=Allowance(60, timedelta(minutes=1))
)


def _seconds_phrase(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return "1 second" if seconds == 1 else f"{seconds} seconds"


class OnDemandBudget:
    """Counts one command's uses per member and per server, within its limits."""

    def __init__(
        self, command: str, limits: OnDemandLimits, clock: Callable[[], datetime]
    ) -> None:
        self._command = command
        self._limits = limits
        self._clock = clock
        self._members: dict[tuple[int, int], deque[datetime]] = {}
        self._servers: dict[int, deque[datetime]] = {}
        self._order: deque[tuple[datetime, tuple[int, int]]] = deque()

    @property
    def keys_remembered(self) -> int:
        """How many members and servers the budget holds uses for."""
        return len(self._members) + len(self._servers)

    def claim(self, guild_id: int, member_id: int) -> None:
        """Count one use by ``member_id`` in ``guild_id``.

        Raises:
            LimitReached: the member or the server used the command too often lately; the
                sentence says when to try again.
        """
        now = self._clock()
        self._forget_expired(now)
        member, server = self._limits.member, self._limits.server
        member_key = (guild_id, member_id)
        member_uses = self._members.setdefault(member_key, deque())
        server_uses = self._servers.setdefault(guild_id, deque())
        _drop_older(member_uses, now - member.per)
        _drop_older(server_uses, now - server.per)
        if len(member_uses) >= member.uses:
            wait = member_uses[0] + member.per - now
            raise LimitReached(
                f"You have used {self._command} {member.uses} times in the last "
                f"{_window_phrase(member.per)}: try again in {_seconds_phrase(wait)}."
            )
        if len(server_uses) >= server.uses:
            wait = server_uses[0] + server.per - now
            raise LimitReached(
                f"{self._command} was used {server.uses} times in this server in the last "
                f"{_window_phrase(server.per)}, the most allowed: try again in "
                f"{_seconds_phrase(wait)}."
            )
        member_uses.append(now)
        server_uses.append(now)
        self._order.append((now, member_key))

    def _forget_expired(self, now: datetime) -> None:
        """Drop the members and servers whose every use is older than both windows (each
        use is visited once, in the order it was made)."""
        longest = max(self._limits.member.per, self._limits.server.per)
        while self._order and self._order[0][0] <= now - longest:
            _used_at, member_key = self._order.popleft()
            member_uses = self._members.get(member_key)
            if member_uses is not None:
                _drop_older(member_uses, now - longest)
                if not member_uses:
                    del self._members[member_key]
            server_uses = self._servers.get(member_key[0])
            if server_uses is not None:
                _drop_older(server_uses, now - longest)
                if not server_uses:
                    del self._servers[member_key[0]]


def _drop_older(uses: deque[datetime], since: datetime) -> None:
    while uses and uses[0] <= since:
        uses.popleft()


def _window_phrase(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"
