"""Feed rows: the global, per-URL polling state (validators, schedule, errors).

Rules (claims, DESIGN.md §8):
- A poller checks a due feed only after claiming it (``claim_due``): the claim sets
  ``claimed_until`` (the database's clock plus a lease) and no other round or process claims
  the feed before that time. On PostgreSQL the claim takes the rows ``FOR UPDATE SKIP
  LOCKED``, so pollers claiming at once never wait on each other nor take the same feed; on
  SQLite the one writer makes the claim atomic.
- Recording the check's outcome (``record_unchanged``, ``record_failure``, the articles'
  ``ingest``) clears the claim and moves ``next_check_at``: the feed is due again at its next
  check time, never sooner. A poller that dies mid-batch leaves its claims to run out.
- On PostgreSQL each feed carries ``host_bucket`` (generated from its URL's host) and a
  poller claims only the buckets it holds (``storage.poll_buckets``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.models import ClaimedFeed, Feed, FeedFailure
from storage.database import Database, Row, Transaction, from_epoch, require_epoch, to_epoch

_FEED_COLUMNS = (
    "id, url, title, site_url, etag, last_modified, body_sha256, interval_seconds,"
    " next_check_at, last_checked_at, error_count, last_error, failing_since, disabled_at,"
    " last_success_at, failure_notified"
)

# Notices go to the server's log channel when it has one, else to each channel that follows
# the feed; one row per (server, channel). (DISTINCT compares the selected values, so
# PostgreSQL must know the parameters' types before it sees the insert's columns.)
QUEUE_FEED_NOTICE = (
    "INSERT INTO notices (guild_id, channel_id, text, created_at)"
    " SELECT DISTINCT s.guild_id, COALESCE(g.log_channel_id, s.channel_id),"
    " CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION)"
    " FROM subscriptions s LEFT JOIN guild_settings g ON g.guild_id = s.guild_id"
    " WHERE s.feed_id = ? AND s.enabled = 1"
)


def feed_from_row(row: Row) -> Feed:
    """Build a ``Feed`` from a row selected with the feed columns."""
    return Feed(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        site_url=row["site_url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_sha256=row["body_sha256"],
        interval_seconds=row["interval_seconds"],
        next_check_at=require_epoch(row["next_check_at"]),
        last_checked_at=from_epoch(row["last_checked_at"]),
        error_count=row["error_count"],
        last_error=row["last_error"],
        failing_since=from_epoch(row["failing_since"]),
        disabled_at=from_epoch(row["disabled_at"]),
        last_success_at=from_epoch(row["last_success_at"]),
        failure_notified=bool(row["failure_notified"]),
    )


async def record_success_in(
    tx: Transaction, feed_id: int, now: datetime, recovery_notice: str | None
) -> None:
    """Mark a feed healthy inside an open transaction, queueing the recovery notice if any."""
    if recovery_notice is not None:
        await tx.execute(QUEUE_FEED_NOTICE, (recovery_notice, to_epoch(now), feed_id))
    await tx.execute(
        "UPDATE feeds SET last_checked_at = ?, last_success_at = ?, error_count = 0,"
        " last_error = NULL, failing_since = NULL, disabled_at = NULL, failure_notified = 0"
        " WHERE id = ?",
        (to_epoch(now), to_epoch(now), feed_id),
    )


class FeedRepository:
    """Reads and schedule updates of feeds."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, feed_id: int) -> Feed | None:
        """Return the feed with this id, if it exists."""
        row = await self._db.fetch_one(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,)
        )
        return None if row is None else feed_from_row(row)

    async def get_by_url(self, url: str) -> Feed | None:
        """Return the feed stored for exactly this URL, if any."""
        row = await self._db.fetch_one(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,))
        return None if row is None else feed_from_row(row)

    async def due(self, now: datetime, limit: int) -> list[Feed]:
        """Return followed feeds whose next check is at or before ``now``, most overdue first."""
        rows = await self._db.fetch_all(
            f"SELECT {_FEED_COLUMNS} FROM feeds"
            " WHERE next_check_at <= ? AND disabled_at IS NULL AND EXISTS"
            " (SELECT 1 FROM subscriptions s WHERE s.feed_id = feeds.id AND s.enabled = 1)"
            " ORDER BY next_check_at LIMIT ?",
            (to_epoch(now), limit),
        )
        return [feed_from_row(row) for row in rows]

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float,
        buckets: Sequence[int] | None = None,
    ) -> list[ClaimedFeed]:
        """Claim up to ``limit`` followed feeds whose next check is at or before ``now`` and
        that nobody holds, most overdue first, for ``lease_seconds``.

        ``buckets`` (PostgreSQL) limits the claim to feeds whose host is in those buckets;
        None claims from every host (one process: role ``all``).
        """
        if buckets is not None and not buckets:
            return []
        dialect = self._db.dialect
        clock = dialect.epoch_now()
        in_buckets, bucket_params = (
            ("", []) if buckets is None else dialect.in_list("f.host_bucket", buckets)
        )
        claimable = (
            " FROM feeds f WHERE f.next_check_at <= ? AND f.disabled_at IS NULL"
            f" AND (f.claimed_until IS NULL OR f.claimed_until <= {clock})"
            f"{' AND ' + in_buckets if in_buckets else ''}"
            " AND EXISTS (SELECT 1 FROM subscriptions s"
            " WHERE s.feed_id = f.id AND s.enabled = 1)"
        )
        due = (to_epoch(now), *bucket_params)
        # Nothing to claim (an idle round) takes no write lock: SQLite has one writer.
        if await self._db.fetch_one(f"SELECT f.id{claimable} LIMIT 1", due) is None:
            return []
        returned = f"{_FEED_COLUMNS}, claimed_until"
        if dialect.is_postgres:
            returned += ", host_bucket"
        async with self._db.transaction() as tx, tx.execute(
            f"UPDATE feeds SET claimed_until = {clock} + ? WHERE id IN (SELECT f.id{claimable}"
            f" ORDER BY f.next_check_at LIMIT ?{dialect.skip_locked('f')})"
            f" RETURNING {returned}",
            (lease_seconds, *due, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        claimed = [
            ClaimedFeed(
                feed_from_row(row), float(row["claimed_until"]),
                int(row["host_bucket"]) if dialect.is_postgres else None,
            )
            for row in rows
        ]
        claimed.sort(key=lambda one: (one.feed.next_check_at, one.feed.id))
        return claimed

    async def release_claims(self, claims: Sequence[ClaimedFeed]) -> None:
        """Give back claims whose feeds were not checked (a stop, a round cancelled): each is
        due again at once. A claim that ran out and was taken by another is left alone."""
        if not claims:
            return
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE feeds SET claimed_until = NULL WHERE id = ? AND claimed_until = ?",
                [(claim.feed.id, claim.claimed_until) for claim in claims],
            )

    async def next_due_after(
        self, now: datetime, buckets: Sequence[int] | None = None
    ) -> datetime | None:
        """Return when the next followed feed (of ``buckets``, if given) falls due after
        ``now``, if any."""
        if buckets is not None and not buckets:
            return None
        in_buckets, bucket_params = (
            ("", []) if buckets is None
            else self._db.dialect.in_list("f.host_bucket", buckets)
        )
        row = await self._db.fetch_one(
            "SELECT f.next_check_at FROM feeds f WHERE f.next_check_at > ?"
            f" AND f.disabled_at IS NULL{' AND ' + in_buckets if in_buckets else ''}"
            " AND EXISTS (SELECT 1 FROM subscriptions s"
            " WHERE s.feed_id = f.id AND s.enabled = 1)"
            " ORDER BY f.next_check_at LIMIT 1",
            (to_epoch(now), *bucket_params),
        )
        return None if row is None else require_epoch(row[0])

    async def followed(self) -> list[Feed]:
        """Return every feed that at least one enabled subscription follows."""
        rows = await self._db.fetch_all(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE disabled_at IS NULL AND EXISTS"
            " (SELECT 1 FROM subscriptions s WHERE s.feed_id = feeds.id AND s.enabled = 1)"
            " ORDER BY id"
        )
        return [feed_from_row(row) for row in rows]

    async def record_unchanged(
        self, feed_id: int, *, now: datetime, next_check_at: datetime,
        etag: str | None, last_modified: str | None, recovery_notice: str | None = None,
    ) -> None:
        """Record a successful check that found nothing new (304 or the same body)."""
        async with self._db.transaction() as tx:
            await record_success_in(tx, feed_id, now, recovery_notice)
            await tx.execute(
                "UPDATE feeds SET next_check_at = ?, claimed_until = NULL,"
                " etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified)"
                " WHERE id = ?",
                (to_epoch(next_check_at), etag, last_modified, feed_id),
            )

    async def record_failure(self, feed_id: int, failure: FeedFailure, now: datetime) -> int:
        """Record a failed check, its retry time, and any notice or disabling it causes.

        Returns the consecutive error count.
        """
        async with self._db.transaction() as tx:
            if failure.notice is not None:
                await tx.execute(QUEUE_FEED_NOTICE, (failure.notice, to_epoch(now), feed_id))
            notified = self._db.dialect.greatest("failure_notified", "?")
            async with tx.execute(
                "UPDATE feeds SET last_checked_at = ?, next_check_at = ?, claimed_until = NULL,"
                " error_count = error_count + 1, last_error = ?,"
                " failing_since = COALESCE(failing_since, ?),"
                f" failure_notified = {notified},"
                " disabled_at = CASE WHEN ? = 1 THEN ? ELSE disabled_at END"
                " WHERE id = ? RETURNING error_count",
                (
                    to_epoch(now), to_epoch(failure.next_check_at), failure.error, to_epoch(now),
                    int(failure.notice is not None), int(failure.disable), to_epoch(now), feed_id,
                ),
            ) as cursor:
                row = await cursor.fetchone()
        return 0 if row is None else int(row[0])
