"""Identify turns: when a gateway shard may IDENTIFY, agreed by every gateway process.

Discord starts at most one session per rate-limit key (``shard_id % max_concurrency``) every
5 seconds, and 1,000 a day for the whole bot, whatever the number of machines; past the day's
count it resets the bot's token (DESIGN.md §8, Discord's Gateway page "Sharding"). So:

Rules:
- One row per bucket (``identify_buckets``) holds the next moment a shard of that bucket may
  identify; a turn is taken with one short ``UPDATE … RETURNING`` that moves it on by the
  spacing, so two processes never get the same moment.
- One row (``identify_budget``) counts the day's session starts left; a turn is granted only
  while more than ``reserve`` remain, in the same statement as the bucket's, so a spent budget
  never moves a bucket. When the row's window has ended it refills to ``total`` for a day.
- What ``GET /gateway/bot`` says is recorded with ``record_limit``: in the same window (same
  end, give or take ``WINDOW_TOLERANCE_SECONDS``) the lower count wins, since identifies may
  have happened between Discord's answer and the write; a different window replaces the row.
- Times are the database's clock (``clock_timestamp()``, epoch seconds), never a process's:
  the machines' clocks need not agree. The waits returned are relative to it.
- PostgreSQL only (the tables are in ``storage/migrations_postgres``); one process on SQLite
  keeps its turns in memory (``bot.discord_io.identify``).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database

_NOW = "extract(epoch from clock_timestamp())"
# Discord's session start window is a day; a refill by the database alone assumes that much.
DAY_SECONDS = 24 * 3600.0
# Two answers of GET /gateway/bot whose windows end within this of each other describe the
# same window (reset_after shrinks as time passes; the request takes a moment).
WINDOW_TOLERANCE_SECONDS = 60.0


@dataclass(frozen=True)
class IdentifyTurn:
    """A shard's turn to identify, or the reason there is none.

    ``wait_seconds`` is how long to wait before identifying (0 at once) and ``at`` that moment
    on the turns' clock; ``None`` for both means the day's session starts are spent: wait
    ``resets_in_seconds`` at least. ``remaining`` is the count left after this turn.
    """

    wait_seconds: float | None
    at: float | None
    remaining: int
    resets_in_seconds: float


class IdentifyTurnRepository:
    """The identify buckets and the day's session start budget, over PostgreSQL."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def prepare(self, max_concurrency: int, total: int) -> None:
        """Make sure the buckets ``0 … max_concurrency - 1`` and the budget row exist."""
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO identify_buckets (bucket, next_at) VALUES (?, 0)"
                " ON CONFLICT (bucket) DO NOTHING",
                [(bucket,) for bucket in range(max_concurrency)],
            )
            await tx.execute(
                "INSERT INTO identify_budget (id, total, remaining, resets_at)"
                f" VALUES (1, ?, ?, {_NOW} + ?) ON CONFLICT (id) DO NOTHING",
                (total, total, DAY_SECONDS),
            )

    async def record_limit(self, total: int, remaining: int, reset_after_seconds: float) -> None:
        """Record Discord's session start limit (``GET /gateway/bot``)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO identify_budget (id, total, remaining, resets_at)"
                f" VALUES (1, ?, ?, {_NOW} + ?) ON CONFLICT (id) DO UPDATE SET"
                " total = excluded.total,"
                " remaining = CASE WHEN abs(identify_budget.resets_at - excluded.resets_at) <= ?"
                " THEN LEAST(identify_budget.remaining, excluded.remaining)"
                " ELSE excluded.remaining END,"
                " resets_at = excluded.resets_at",
                (total, remaining, reset_after_seconds, WINDOW_TOLERANCE_SECONDS),
            )

    async def take(self, bucket: int, spacing_seconds: float, reserve: int) -> IdentifyTurn:
        """Take the bucket's next turn and one of the day's session starts, or neither.

        Raises:
            LookupError: ``prepare`` was never run for this bucket.
        """
        # The budget's window is read from the row being updated (not from a snapshot taken
        # before), so two processes refilling it at once refill it once.
        row = await self._db.fetch_one(
            f"WITH clock AS (SELECT {_NOW} AS at),"
            " budget AS (UPDATE identify_budget SET"
            " remaining = CASE WHEN resets_at <= clock.at THEN total ELSE remaining END - 1,"
            " resets_at = CASE WHEN resets_at <= clock.at THEN clock.at + ? ELSE resets_at END"
            " FROM clock WHERE id = 1"
            " AND CASE WHEN resets_at <= clock.at THEN total ELSE remaining END > ?"
            " AND EXISTS (SELECT 1 FROM identify_buckets WHERE bucket = ?)"
            " RETURNING remaining, resets_at),"
            " turn AS (UPDATE identify_buckets SET next_at = GREATEST(next_at, clock.at) + ?"
            " FROM clock WHERE bucket = ? AND EXISTS (SELECT 1 FROM budget)"
            " RETURNING next_at - ? AS at)"
            " SELECT (SELECT at FROM turn) - clock.at AS wait, (SELECT at FROM turn) AS turn_at,"
            " COALESCE((SELECT remaining FROM budget), b.remaining) AS remaining,"
            " COALESCE((SELECT resets_at FROM budget), b.resets_at) - clock.at AS resets_in,"
            " EXISTS (SELECT 1 FROM identify_buckets WHERE bucket = ?) AS known"
            " FROM identify_budget b, clock WHERE b.id = 1",
            (DAY_SECONDS, reserve, bucket, spacing_seconds, bucket, spacing_seconds, bucket),
        )
        if row is None or not row["known"]:
            raise LookupError(f"identify bucket {bucket} was never prepared")
        wait, turn_at = row["wait"], row["turn_at"]
        return IdentifyTurn(
            None if wait is None else max(0.0, float(wait)),
            None if turn_at is None else float(turn_at),
            int(row["remaining"]),
            max(0.0, float(row["resets_in"])),
        )
