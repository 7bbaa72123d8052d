"""Moving an install: copy a SQLite database into an empty PostgreSQL one.

Rules:
- The SQLite file is held with an exclusive lock for the whole copy: a bot that has it open
  (even idle: WAL keeps a lock while connected) makes the copy refuse, and a bot started
  during the copy cannot open it.
- Both databases are at the same schema version (the newest this code knows: the target is
  migrated by opening it, the source must already be), and the target holds no feeds,
  subscriptions, articles or posts.
- Every row keeps its id, and the instance row keeps the nonce prefix: posts in flight
  (``sending``) are released at the bot's next start and resent with the nonce they had,
  so Discord answers with the first message instead of posting twice.
- Everything is copied in one PostgreSQL transaction: the sequences are moved past the
  highest ids and every table's row count is compared before it commits; on any mismatch
  nothing is kept.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.database import MIGRATIONS_DIR, list_migrations
from storage.engines.postgres import PostgresDatabase

# Parents before children (foreign keys); the rows the triggers derive (article_days, the
# routing generation) come last and replace what the triggers made during the copy.
TABLES = (
    "feeds", "stories", "articles", "subscriptions", "follows", "filters", "outbox",
    "notices", "guild_settings", "channel_webhooks", "digests", "instance",
    "routing_generation", "article_days",
)
# Tables whose rows the migrations seed, replaced by the source's.
_SEEDED = ("instance", "routing_generation")
_DERIVED = ("article_days", "routing_generation")
_BATCH = 5000


class CopyRefused(Exception):
    """The copy cannot start (or would not be exact); ``reason`` says which rule stopped it."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class CopyReport:
    """What was copied: rows per table and how long it took."""

    rows: dict[str, int] = field(default_factory=dict)
    nonce_prefix: str = ""
    seconds: float = 0.0


async def copy_sqlite_to_postgres(
    source: Path, address: str, *, progress: Callable[[str, int], None] | None = None,
    migrations_dir: Path = MIGRATIONS_DIR,
) -> CopyReport:
    """Copy the SQLite database at ``source`` into the empty PostgreSQL one at ``address``.

    ``progress`` is told each table's name and row count once it is copied.

    Raises:
        CopyRefused: ``missing`` (no such file), ``in use`` (a bot holds it), ``version``
            (the two schemas differ), ``not empty`` (the target holds data), ``unknown
            table`` (the source has a table this code does not copy), ``counts differ``
            (a table did not arrive whole; nothing was kept).
        DatabaseUnreachable: the PostgreSQL server cannot be reached.
    """
    started = time.monotonic()
    with _held_exclusively(source) as sqlite:
        head = len(list_migrations(migrations_dir))
        version = int(sqlite.execute("PRAGMA user_version").fetchone()[0])
        if version != head:
            raise CopyRefused("version", f"the file is at {version}, this Newsdesk at {head}")
        _check_every_table_is_known(sqlite)
        target = await PostgresDatabase.connect(address, migrations_dir=migrations_dir)
        try:
            report = await _copy(sqlite, target, progress)
        finally:
            await target.close()
    report.seconds = time.monotonic() - started
    return report


@contextmanager
def _held_exclusively(source: Path) -> Iterator[sqlite3.Connection]:
    """Open the file and take its exclusive lock (kept until the copy ends).

    Raises:
        CopyRefused: ``missing`` when there is no such file; ``in use`` when another
            connection (a running bot) has it open.
    """
    if not source.is_file():
        raise CopyRefused("missing", str(source))
    connection = sqlite3.connect(source, timeout=0, isolation_level=None,
                                 check_same_thread=False)
    try:
        try:
            connection.execute("PRAGMA locking_mode = EXCLUSIVE")
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as error:
            raise CopyRefused("in use", str(error)) from error
        yield connection
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def _check_every_table_is_known(sqlite: sqlite3.Connection) -> None:
    names = {
        name for (name,) in sqlite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        # SQLite's own tables and the FTS5 index (PostgreSQL builds its own from the rows).
        if not name.startswith(("sqlite_", "article_search"))
    }
    unknown = sorted(names - set(TABLES))
    if unknown:
        raise CopyRefused("unknown table", ", ".join(unknown))


def _columns(sqlite: sqlite3.Connection, table: str) -> list[str]:
    """Return the table's stored columns (not FTS5's generated feed token)."""
    return [
        row[1] for row in sqlite.execute(f"SELECT * FROM pragma_table_xinfo('{table}')")
        if row[6] == 0
    ]


async def _copy(
    sqlite: sqlite3.Connection, target: PostgresDatabase,
    progress: Callable[[str, int], None] | None,
) -> CopyReport:
    report = CopyReport()
    for table in TABLES:
        if table in _SEEDED:
            continue
        found = await target.fetch_one(f"SELECT EXISTS (SELECT 1 FROM {table}) AS found")
        if found is not None and found["found"]:
            raise CopyRefused("not empty", table)
    async with target.bulk_transaction() as connection:
        for table in TABLES:
            columns = _columns(sqlite, table)
            if table in _SEEDED or table in _DERIVED:
                await connection.execute(f"DELETE FROM {table}")
            cursor = sqlite.execute(f"SELECT {', '.join(columns)} FROM {table}")
            copied = 0
            while rows := await asyncio.to_thread(cursor.fetchmany, _BATCH):
                await connection.copy_records_to_table(
                    table, records=[_storable(row) for row in rows], columns=columns
                )
                copied += len(rows)
            report.rows[table] = copied
            if progress is not None:
                progress(table, copied)
        for table in TABLES:
            if "id" in _columns(sqlite, table) and table not in _SEEDED:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" GREATEST(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
                )
        for table in TABLES:
            expected = sqlite.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            arrived = await connection.fetchval(f"SELECT COUNT(*) FROM {table}")
            if arrived != expected:
                raise CopyRefused("counts differ", f"{table}: {expected} in the file, {arrived}")
        prefix = sqlite.execute(
            "SELECT value FROM instance WHERE key = 'nonce_prefix'"
        ).fetchone()
        report.nonce_prefix = "" if prefix is None else str(prefix[0])
    return report


def _storable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return a row as PostgreSQL can store it: text cannot hold NUL characters (SQLite's
    can), so they are dropped."""
    return tuple(
        value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value
        for value in row
    )
