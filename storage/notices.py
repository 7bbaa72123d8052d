"""Notices for a server's admins, queued durably and drained by the deliverer like posts.

Every write takes the deliverer's ``fence`` (``storage.leases``; None for one process), as
the outbox's do.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.models import Notice
from storage.database import Database, to_epoch
from storage.leases import Fence, check_fence


class NoticeRepository:
    """Queueing, claiming and recording notices."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def queue(
        self, guild_id: int, channel_id: int, text: str, now: datetime,
        fence: Fence | None = None,
    ) -> int:
        """Queue one notice for a server's channel; return its id."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            async with tx.execute(
                "INSERT INTO notices (guild_id, channel_id, text, created_at)"
                " VALUES (?, ?, ?, ?) RETURNING id",
                (guild_id, channel_id, text, to_epoch(now)),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def release_interrupted(self, fence: Fence | None = None) -> int:
        """Return notices a crashed run left claimed to ``pending``; return how many."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            cursor = await tx.execute(
                "UPDATE notices SET state = 'pending' WHERE state = 'sending'"
            )
            return cursor.rowcount

    async def claim(
        self, now: datetime, limit: int, fence: Fence | None = None
    ) -> list[Notice]:
        """Claim up to ``limit`` pending notices that are due, oldest first."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            async with tx.execute(
                "UPDATE notices SET state = 'sending', attempts = attempts + 1"
                " WHERE id IN (SELECT id FROM notices WHERE state = 'pending'"
                " AND next_attempt_at <= ? ORDER BY id LIMIT ?)"
                " RETURNING id, guild_id, channel_id, text, attempts",
                (to_epoch(now), limit),
            ) as cursor:
                rows = await cursor.fetchall()
        notices = [Notice(row[0], row[1], row[2], row[3], row[4]) for row in rows]
        return sorted(notices, key=lambda notice: notice.id)

    async def count_unfinished(self) -> int:
        """Return how many notices are still waiting to be sent or being sent."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM notices WHERE state IN ('pending', 'sending')"
        )
        return 0 if row is None else int(row[0])

    async def mark_sent(
        self, notice_id: int, message_id: int, fence: Fence | None = None
    ) -> None:
        """Record the message that carried a notice."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE notices SET state = 'sent', message_id = ? WHERE id = ?",
                (message_id, notice_id),
            )

    async def mark_failed(
        self, notice_id: int, reason: str, fence: Fence | None = None
    ) -> None:
        """Record that a notice could not be delivered, and why."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE notices SET state = 'failed', failure = ? WHERE id = ?",
                (reason, notice_id),
            )

    async def mark_retry(
        self, notice_id: int, reason: str, retry_at: datetime, fence: Fence | None = None
    ) -> None:
        """Put a notice back in the queue after a passing failure, to retry at ``retry_at``."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE notices SET state = 'pending', failure = ?, next_attempt_at = ?"
                " WHERE id = ?",
                (reason, to_epoch(retry_at), notice_id),
            )
