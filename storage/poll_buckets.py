"""Host buckets and the pollers that hold them (PostgreSQL only: pollers ×N, DESIGN.md §8).

Rules:
- Every feed's host hashes into one of ``HOST_BUCKETS`` buckets (the generated
  ``feeds.host_bucket`` column of migration 0027). A poller claims only feeds of buckets it
  holds, so one host's feeds are fetched by one process at a time.
- A poller announces itself with a row in ``pollers``, renewed with its buckets; the live
  pollers are the rows whose time has not passed, and a row whose time passed is deleted by
  the next announcement of anyone.
- A bucket is held by one poller until ``lease_until``: renewing extends only the holder's
  own leases; taking takes free or run-out buckets, ``FOR UPDATE SKIP LOCKED`` so two pollers
  taking at once never take the same one; releasing frees only the releaser's own.
- Times are the database's clock (``dialect.epoch_now``), the one clock every process shares.
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database

HOST_BUCKETS = 256
"""How many buckets hosts hash into: the schema's number (``get_byte(md5(host), 0)``)."""


class PollBucketRepository:
    """The statements of the host bucket leases."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def announce(self, holder: str, lease_seconds: float) -> int:
        """Say that ``holder`` is alive for ``lease_seconds`` more; return how many pollers
        are alive now (``holder`` included), forgetting the ones whose time passed."""
        now = self._db.dialect.epoch_now()
        async with self._db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO pollers (holder, alive_until) VALUES (?, {now} + ?)"
                " ON CONFLICT (holder) DO UPDATE SET alive_until = excluded.alive_until",
                (holder, lease_seconds),
            )
            await tx.execute(f"DELETE FROM pollers WHERE alive_until <= {now}")
            async with tx.execute("SELECT COUNT(*) FROM pollers") as cursor:
                row = await cursor.fetchone()
        return 1 if row is None else max(int(row[0]), 1)

    async def renew(self, holder: str, lease_seconds: float) -> list[int]:
        """Extend every bucket lease ``holder`` still holds; return those buckets (one whose
        lease ran out and that another poller took is no longer among them)."""
        now = self._db.dialect.epoch_now()
        async with self._db.transaction() as tx, tx.execute(
            f"UPDATE poll_buckets SET lease_until = {now} + ? WHERE holder = ?"
            " RETURNING bucket",
            (lease_seconds, holder),
        ) as cursor:
            rows = await cursor.fetchall()
        return sorted(int(row[0]) for row in rows)

    async def take(self, holder: str, count: int, lease_seconds: float) -> list[int]:
        """Take up to ``count`` buckets nobody holds (free, or whose lease ran out), lowest
        first; return the buckets taken."""
        if count <= 0:
            return []
        dialect = self._db.dialect
        now = dialect.epoch_now()
        async with self._db.transaction() as tx, tx.execute(
            f"UPDATE poll_buckets SET holder = ?, lease_until = {now} + ?"
            " WHERE bucket IN (SELECT b.bucket FROM poll_buckets b"
            f" WHERE b.holder IS NULL OR b.lease_until <= {now}"
            f" ORDER BY b.bucket LIMIT ?{dialect.skip_locked('b')}) RETURNING bucket",
            (holder, lease_seconds, count),
        ) as cursor:
            rows = await cursor.fetchall()
        return sorted(int(row[0]) for row in rows)

    async def release(self, holder: str, buckets: Sequence[int]) -> None:
        """Free ``buckets`` if ``holder`` still holds them, for another poller to take."""
        if not buckets:
            return
        in_list, params = self._db.dialect.in_list("bucket", buckets)
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE poll_buckets SET holder = NULL, lease_until = NULL"
                f" WHERE holder = ? AND {in_list}",
                (holder, *params),
            )

    async def leave(self, holder: str) -> None:
        """Free every bucket of ``holder`` and forget it (a poller stopping)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE poll_buckets SET holder = NULL, lease_until = NULL WHERE holder = ?",
                (holder,),
            )
            await tx.execute("DELETE FROM pollers WHERE holder = ?", (holder,))

    async def holders(self) -> dict[str, list[int]]:
        """Return each holder's buckets whose lease has not run out (for tests and benches)."""
        rows = await self._db.fetch_all(
            "SELECT holder, bucket FROM poll_buckets"
            f" WHERE holder IS NOT NULL AND lease_until > {self._db.dialect.epoch_now()}"
            " ORDER BY bucket"
        )
        held: dict[str, list[int]] = {}
        for row in rows:
            held.setdefault(str(row["holder"]), []).append(int(row["bucket"]))
        return held
