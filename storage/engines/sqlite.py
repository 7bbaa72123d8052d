"""SQLite: one aiosqlite writer connection, a read connection beside it, and WAL.

Rules:
- One long-lived connection in autocommit mode; WAL, ``foreign_keys=ON``, ``busy_timeout``.
- Every write goes through ``transaction()`` (``BEGIN IMMEDIATE`` … ``COMMIT``); reads go
  through ``fetch_all``/``fetch_one``. Both take the same lock, so coroutines never interleave
  statements inside another's transaction (SQLite has one connection per process for
  writes: the lock is what makes a transaction the block's alone). Never await network I/O
  inside a transaction.
- Migrations are numbered ``NNNN_name.sql`` files applied in order above ``PRAGMA user_version``,
  each in its own transaction together with its ``user_version`` bump: a failing migration
  leaves the database exactly as it was. A database newer than the code is refused.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.core.errors import DatabaseUnusable, StorageBusy, StorageFull
from storage.database import (
    MIGRATIONS_DIR,
    Database,
    Params,
    Row,
    Transaction,
    list_migrations,
    refuse_newer,
)
from storage.engines.dialects import SQLITE

log = logging.getLogger(__name__)

# How SQLite says a file cannot be used as it is (its messages are its only error detail).
_UNWRITABLE_SIGNS = ("readonly", "read-only", "unable to open", "disk i/o error")
_DAMAGED_SIGNS = ("not a database", "malformed", "corrupt", "encrypted")


class SqliteDatabase(Database):
    """The application's SQLite database behind one aiosqlite connection."""

    dialect = SQLITE

    def __init__(
        self, connection: aiosqlite.Connection, reader: aiosqlite.Connection | None = None
    ) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        # Reads use a connection of their own (WAL lets them run beside a write), so a write
        # waiting on a lock held elsewhere never stalls the commands that only read.
        self._reader = reader
        self._read_lock = asyncio.Lock()

    @classmethod
    async def connect(
        cls, path: Path | str, *, migrations_dir: Path = MIGRATIONS_DIR
    ) -> SqliteDatabase:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date.

        Raises:
            DatabaseTooNew: the file was migrated by a newer Newsdesk.
            DatabaseUnusable: the file is damaged, is not a database, or cannot be written.
        """
        try:
            return await cls._connect(path, migrations_dir)
        except sqlite3.DatabaseError as error:
            text = str(error).lower()
            unwritable = any(sign in text for sign in _UNWRITABLE_SIGNS)
            if not unwritable and not any(sign in text for sign in _DAMAGED_SIGNS):
                raise  # a bug (a migration's SQL): logged with its traceback
            log.debug("database cannot be used path=%s", path, exc_info=error)
            raise DatabaseUnusable(str(path), damaged=not unwritable) from None
        except OSError as error:  # its folder cannot be created
            log.debug("database cannot be used path=%s", path, exc_info=error)
            raise DatabaseUnusable(str(path), damaged=False) from None

    @classmethod
    async def _connect(cls, path: Path | str, migrations_dir: Path) -> SqliteDatabase:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        database = cls(connection)
        try:
            await database._configure()
            await database.migrate(migrations_dir)
            if str(path) != ":memory:":
                reader = await aiosqlite.connect(str(path), isolation_level=None)
                reader.row_factory = aiosqlite.Row
                database._reader = reader
                for pragma in (
                    "PRAGMA busy_timeout = 5000", "PRAGMA foreign_keys = ON",
                    "PRAGMA query_only = ON",
                    # Searches read much of the full-text index: map and cache it generously.
                    "PRAGMA mmap_size = 268435456", "PRAGMA cache_size = -65536",
                ):
                    await reader.execute(pragma)
        except BaseException:
            await database.close()
            raise
        return database

    async def _configure(self) -> None:
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 5000",
            "PRAGMA synchronous = NORMAL",
        ):
            await self._connection.execute(pragma)

    async def close(self) -> None:
        """Close the connections; pending writes were committed by their transactions."""
        if self._reader is not None:
            await self._reader.close()
        await self._connection.close()

    async def schema_version(self) -> int:
        """Return ``PRAGMA user_version``: the number of the last migration applied."""
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row is not None else 0

    async def migrate(self, migrations_dir: Path = MIGRATIONS_DIR) -> int:
        """Apply the migrations above the current version; return how many were applied.

        Raises:
            DatabaseTooNew: the database's version is above the newest migration known here.
        """
        migrations = list_migrations(migrations_dir)
        current = await self.schema_version()
        refuse_newer(current, len(migrations))
        applied = 0
        async with self._lock:
            for number, path in migrations[current:]:
                script = path.read_text(encoding="utf-8")
                # executescript commits any open transaction first, so the BEGIN and the
                # version bump travel inside the script itself.
                wrapped = f"BEGIN IMMEDIATE;\n{script}\n;PRAGMA user_version = {number};\nCOMMIT;"
                try:
                    await self._connection.executescript(wrapped)
                except BaseException:
                    if self._connection.in_transaction:
                        await self._connection.execute("ROLLBACK")
                    log.exception("migration failed migration=%s", path.name)
                    raise
                log.info("applied migration=%s", path.name)
                applied += 1
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the block as one ``BEGIN IMMEDIATE`` transaction: all of it or none of it.

        Raises:
            StorageFull: the disk is full; nothing of the block was written.
            StorageBusy: the database stayed locked past the busy timeout; nothing of the
                block was written.
        """
        async with self._lock:
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self._connection
                except BaseException:
                    if self._connection.in_transaction:
                        await self._connection.execute("ROLLBACK")
                    raise
                else:
                    await self._connection.execute("COMMIT")
            except sqlite3.OperationalError as error:
                raise storage_error(error) from error

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a read query and return every row."""
        connection, lock = self._read_connection()
        async with lock, connection.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Run a read query and return its first row, if any."""
        connection, lock = self._read_connection()
        async with lock, connection.execute(sql, params) as cursor:
            return await cursor.fetchone()

    def _read_connection(self) -> tuple[aiosqlite.Connection, asyncio.Lock]:
        if self._reader is not None:
            return self._reader, self._read_lock
        return self._connection, self._lock


def storage_error(error: sqlite3.OperationalError) -> Exception:
    """Turn SQLite's disk-full and locked errors into typed errors; keep others."""
    text = str(error).lower()
    if "full" in text:
        log.error("database disk is full: %s", error)
        return StorageFull()
    if "locked" in text or "busy" in text:
        log.warning("database stayed locked: %s", error)
        return StorageBusy()
    return error
