"""Leader leases: one process at a time leads a role, and a stale leader cannot write.

Rules (DESIGN.md §8):
- A contender first takes a session advisory lock on a connection of its own: one contender
  at a time, and a leader killed outright loses its lock with its connection at once.
- Holding the lock, it takes the lease row over only once the previous lease has run out (or
  was its own), bumping the epoch. A previous leader that lost its connection but not its
  life stops its work before its lease ends (``bot.app.roles.leadership``), so two leaders
  never act at once even across a network split.
- Every write of a leader runs ``check_fence`` first in its transaction: the lease row is
  read ``FOR SHARE`` and its epoch compared, so a takeover waits for the write to commit and
  every write after the takeover by the old leader fails (``LeadershipLost``).
- Times come from the database's clock (``clock_timestamp()``), never a process's.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from bot.core.errors import LeadershipLost
from storage.database import Database, Transaction

_NOW = "extract(epoch from clock_timestamp())"


@dataclass(frozen=True)
class Fence:
    """The lease a leader's writes were decided under."""

    name: str
    epoch: int


def advisory_key(name: str) -> int:
    """Return the advisory lock key of role ``name`` (stable across processes and versions)."""
    return zlib.crc32(f"newsdesk-leader:{name}".encode())


async def check_fence(tx: Transaction, fence: Fence | None) -> None:
    """Refuse this transaction's writes unless ``fence`` is still the current lease.

    Call first in a leader's write transaction; ``None`` (one process, role ``all``) passes.

    Raises:
        LeadershipLost: another process took the lease over.
    """
    if fence is None:
        return
    async with tx.execute(
        "SELECT 1 FROM leader_leases WHERE name = ? AND epoch = ? FOR SHARE",
        (fence.name, fence.epoch),
    ) as cursor:
        if await cursor.fetchone() is None:
            raise LeadershipLost(fence.name)


@dataclass(frozen=True)
class Lease:
    """A lease row as an onlooker sees it (the distributed benches, an operator)."""

    name: str
    holder: str
    epoch: int
    seconds_left: float


async def current_leases(database: Database) -> list[Lease]:
    """Every lease row, by name: who leads each role, under which epoch, and for how long
    more (negative: the lease ran out and nobody took it over yet)."""
    rows = await database.fetch_all(
        f"SELECT name, holder, epoch, expires_at - {_NOW} FROM leader_leases ORDER BY name"
    )
    return [Lease(str(r[0]), str(r[1]), int(r[2]), float(r[3])) for r in rows]


class LeaseKeeper:
    """The lease statements of one contender, on the connection that holds its advisory lock
    (an asyncpg connection of its own: a pooled one would be lent to others)."""

    def __init__(self, connection: Any, name: str, holder: str) -> None:
        self._connection = connection
        self._name = name
        self._holder = holder

    async def try_lock(self) -> bool:
        """Try to take the role's advisory lock for this session; return whether it is held."""
        return bool(
            await self._connection.fetchval(
                "SELECT pg_try_advisory_lock($1)", advisory_key(self._name)
            )
        )

    async def take_over(self, lease_seconds: float) -> int | float:
        """Take the lease if it ran out (or is ours): return the new epoch (an ``int``);
        else return how many seconds are left of the current lease (a ``float``)."""
        await self._connection.execute(
            "INSERT INTO leader_leases (name, holder, epoch, expires_at)"
            " VALUES ($1, '', 0, 0) ON CONFLICT (name) DO NOTHING",
            self._name,
        )
        epoch = await self._connection.fetchval(
            f"UPDATE leader_leases SET holder = $2, epoch = epoch + 1, expires_at = {_NOW} + $3"
            f" WHERE name = $1 AND (expires_at <= {_NOW} OR holder = $2) RETURNING epoch",
            self._name, self._holder, lease_seconds,
        )
        if epoch is not None:
            return int(epoch)
        left = await self._connection.fetchval(
            f"SELECT expires_at - {_NOW} FROM leader_leases WHERE name = $1", self._name
        )
        return max(float(left or 0.0), 0.0)

    async def renew(self, epoch: int, lease_seconds: float) -> bool:
        """Extend the lease of ``epoch``; False when it is no longer ours."""
        renewed = await self._connection.fetchval(
            f"UPDATE leader_leases SET expires_at = {_NOW} + $4"
            " WHERE name = $1 AND holder = $2 AND epoch = $3 RETURNING epoch",
            self._name, self._holder, epoch, lease_seconds,
        )
        return renewed is not None

    async def step_down(self, epoch: int) -> None:
        """End the lease of ``epoch`` now, so a standby need not wait for it to run out."""
        await self._connection.execute(
            "UPDATE leader_leases SET expires_at = 0"
            " WHERE name = $1 AND holder = $2 AND epoch = $3",
            self._name, self._holder, epoch,
        )
        await self._connection.execute(
            "SELECT pg_advisory_unlock($1)", advisory_key(self._name)
        )
