"""Digest schedules and the ranking of a period's top stories. Every call takes ``guild_id``
first (except the scheduler's look for due digests)."""

from __future__ import annotations

from datetime import datetime

from bot.core.models import DigestSchedule
from storage.database import Database, Row, from_epoch, require_epoch, to_epoch
from storage.leases import Fence, check_fence

_COLUMNS = (
    "id, guild_id, channel_id, frequency, weekday, at_minute, timezone, next_run_at, last_run_at"
)


def _schedule(row: Row) -> DigestSchedule:
    return DigestSchedule(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        frequency=row["frequency"],
        weekday=row["weekday"],
        at_minute=row["at_minute"],
        timezone=row["timezone"],
        next_run_at=require_epoch(row["next_run_at"]),
        last_run_at=from_epoch(row["last_run_at"]),
    )


class DigestRepository:
    """Digest schedules, ranking, and sending a digest durably."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def schedule(
        self, guild_id: int, channel_id: int, *, frequency: str, weekday: int | None,
        at_minute: int, timezone: str, next_run_at: datetime, created_by: int, now: datetime,
    ) -> DigestSchedule:
        """Create or replace a channel's digest schedule."""
        async with self._db.transaction() as tx, tx.execute(
            "INSERT INTO digests (guild_id, channel_id, frequency, weekday, at_minute, timezone,"
            " next_run_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, channel_id) DO UPDATE SET frequency = excluded.frequency,"
            " weekday = excluded.weekday, at_minute = excluded.at_minute,"
            " timezone = excluded.timezone, next_run_at = excluded.next_run_at"
            f" RETURNING {_COLUMNS}",
            (guild_id, channel_id, frequency, weekday, at_minute, timezone,
             to_epoch(next_run_at), created_by, to_epoch(now)),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return _schedule(row)

    async def list_for_guild(self, guild_id: int) -> list[DigestSchedule]:
        """Return the server's digest schedules."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM digests WHERE guild_id = ? ORDER BY channel_id", (guild_id,)
        )
        return [_schedule(row) for row in rows]

    async def remove(self, guild_id: int, channel_id: int) -> bool:
        """Stop a channel's digest."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "DELETE FROM digests WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            )
            return cursor.rowcount > 0

    async def due(self, now: datetime) -> list[DigestSchedule]:
        """Return every digest whose time has come."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM digests WHERE next_run_at <= ? ORDER BY next_run_at",
            (to_epoch(now),),
        )
        return [_schedule(row) for row in rows]

    async def top_stories(
        self, guild_id: int, since: datetime, limit: int
    ) -> list[tuple[int, int, int]]:
        """Rank the server's stories first seen since ``since``: (story id, sources, follow
        matches), most sources first, then most follow matches, then newest."""
        rows = await self._db.fetch_all(
            "SELECT a.story_id, COUNT(DISTINCT a.feed_id) AS sources,"
            " (SELECT COUNT(*) FROM outbox o WHERE o.guild_id = :guild"
            "  AND o.story_id = a.story_id AND o.follow_id IS NOT NULL) AS follows,"
            " MAX(a.first_seen_at) AS newest"
            " FROM articles a WHERE a.story_id IS NOT NULL AND a.first_seen_at >= :since"
            " AND a.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = :guild)"
            " GROUP BY a.story_id ORDER BY sources DESC, follows DESC, newest DESC LIMIT :limit",
            {"guild": guild_id, "since": to_epoch(since), "limit": limit},
        )
        return [(int(row[0]), int(row[1]), int(row[2])) for row in rows]

    async def record_run(
        self, digest: DigestSchedule, text: str | None, *, next_run_at: datetime, now: datetime,
        fence: Fence | None = None,
    ) -> None:
        """Queue the digest's message (if any) and move its schedule on, in one transaction:
        a crash sends it either once or not yet, never twice.

        Raises:
            LeadershipLost: ``fence`` is no longer the story desk's lease; nothing was written.
        """
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            if text is not None:
                await tx.execute(
                    "INSERT INTO notices (guild_id, channel_id, text, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (digest.guild_id, digest.channel_id, text, to_epoch(now)),
                )
            await tx.execute(
                "UPDATE digests SET next_run_at = ?, last_run_at = ? WHERE id = ?",
                (to_epoch(next_run_at), to_epoch(now), digest.id),
            )
