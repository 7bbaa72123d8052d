"""The storage seam: one ``Database`` interface, two engines (SQLite and PostgreSQL).

Rules:
- ``Database.open(target)`` takes a file path (SQLite, the default) or a ``postgresql://``
  address, opens that engine and brings its schema up to date; a database newer than the
  code is refused (``DatabaseTooNew``).
- Every write goes through ``transaction()``: all of the block or none of it. Reads go
  through ``fetch_all``/``fetch_one``. Never await network I/O inside a transaction.
- Repositories write one SQL text for both engines, with SQLite's ``?``/``:name``
  placeholders; the PostgreSQL engine converts them in one place
  (``storage.engines.placeholders``). Where the dialects disagree on an expression the text
  comes from ``database.dialect`` (``storage.engines.dialects``); where the engines truly
  differ (full-text search, triggers) each has its own implementation.
- Times are epoch seconds (SQLite ``REAL``, PostgreSQL ``double precision``), booleans are
  integers 0/1 on both engines: one code path reads and writes them.
- Migrations are numbered ``NNNN_name.sql`` files in ``storage/migrations`` (SQLite); the
  PostgreSQL schema starts from a baseline in ``storage/migrations_postgres`` and takes each
  later migration from there when the dialects differ, else the shared file.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Protocol, overload
from urllib.parse import urlsplit, urlunsplit

from bot.core.errors import DatabaseTooNew
from storage.engines.dialects import Dialect

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_POSTGRES_ADDRESS = re.compile(r"^postgres(ql)?://", re.IGNORECASE)

Params = Sequence[Any] | dict[str, Any]


class Row(Protocol):
    """A result row, read by position or by column name (sqlite3.Row, asyncpg.Record)."""

    # In asyncpg's order: mypy matches overloads item by item.
    @overload
    def __getitem__(self, key: str, /) -> Any: ...
    @overload
    def __getitem__(self, key: int, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...


class Cursor(Protocol):
    """What a statement run in a transaction hands back."""

    @property
    def rowcount(self) -> int: ...
    async def fetchone(self) -> Row | None: ...
    async def fetchall(self) -> Iterable[Row]: ...


class PendingCursor(Protocol):
    """A statement being run: await it, or use it as ``async with … as cursor``."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...
    async def __aenter__(self) -> Cursor: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None, /,
    ) -> None: ...


class Transaction(Protocol):
    """The statements of one open transaction (SQLite placeholders on both engines)."""

    def execute(self, sql: str, parameters: Params = ..., /) -> PendingCursor: ...
    def executemany(self, sql: str, parameters: Iterable[Params], /) -> PendingCursor: ...


def to_epoch(moment: datetime | None) -> float | None:
    """Convert an aware datetime to the epoch seconds stored in the database."""
    return None if moment is None else moment.timestamp()


def from_epoch(seconds: float | None) -> datetime | None:
    """Convert stored epoch seconds back to an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def require_epoch(seconds: float) -> datetime:
    """Convert a NOT NULL epoch column to an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def list_migrations(directory: Path) -> list[tuple[int, Path]]:
    """Return the numbered migration files of ``directory`` in order, checking the numbering."""
    found: list[tuple[int, Path]] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append((int(match.group(1)), path))
    for expected, (number, path) in enumerate(found, start=1):
        if number != expected:
            raise ValueError(f"migration {path.name!r} breaks the numbering (expected {expected})")
    return found


def refuse_newer(current: int, known: int) -> None:
    """Refuse a database migrated further than the migrations this code knows.

    Raises:
        DatabaseTooNew: ``current`` is above ``known``.
    """
    if current > known:
        raise DatabaseTooNew(
            f"The database is at schema version {current} but this Newsdesk only knows "
            f"{known}: upgrade Newsdesk or point NEWSDESK_DB at another database."
        )


def is_unique_violation(error: BaseException) -> bool:
    """Return whether ``error`` is a unique index refusing a write, on either engine (SQLite's
    ``IntegrityError``, PostgreSQL's SQLSTATE 23505)."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    return getattr(error, "sqlstate", None) == "23505"


def is_postgres_address(target: Path | str) -> bool:
    """Return whether ``target`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and bool(_POSTGRES_ADDRESS.match(target))


def printable(target: Path | str) -> str:
    """Return ``target`` as logs and messages may show it: a file path, or a PostgreSQL
    address with its password (if any) hidden."""
    if not is_postgres_address(target):
        return str(target)
    parts = urlsplit(str(target))
    if parts.password is None:
        return str(target)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class Database(ABC):
    """The application's database: SQLite (``storage.engines.sqlite``) or PostgreSQL
    (``storage.engines.postgres``)."""

    dialect: ClassVar[Dialect]

    @classmethod
    async def open(cls, target: Path | str, *, migrations_dir: Path = MIGRATIONS_DIR) -> Database:
        """Open the database at ``target`` (a file path, or a ``postgresql://`` address) and
        bring its schema up to date.

        Raises:
            DatabaseTooNew: the database was migrated by a newer Newsdesk.
        """
        # The engines load only when chosen: asyncpg is an optional extra.
        if is_postgres_address(target):
            from storage.engines.postgres import PostgresDatabase  # noqa: PLC0415

            return await PostgresDatabase.connect(str(target), migrations_dir=migrations_dir)
        from storage.engines.sqlite import SqliteDatabase  # noqa: PLC0415

        return await SqliteDatabase.connect(target, migrations_dir=migrations_dir)

    @abstractmethod
    async def close(self) -> None:
        """Close the connections; pending writes were committed by their transactions."""

    @abstractmethod
    async def schema_version(self) -> int:
        """Return the number of the last migration applied."""

    @abstractmethod
    async def migrate(self, migrations_dir: Path = MIGRATIONS_DIR) -> int:
        """Apply the migrations above the current version; return how many were applied.

        Raises:
            DatabaseTooNew: the database's version is above the newest migration known here.
        """

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Run the block as one transaction: all of it or none of it.

        Raises:
            StorageFull: the disk is full; nothing of the block was written.
            StorageBusy: the database stayed locked (or out of reach) too long; nothing of
                the block was written.
        """

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a read query and return every row."""

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Run a read query and return its first row, if any."""

    async def connect_alone(self) -> Any:
        """Open a connection of its own, outside the pool (PostgreSQL's ``LISTEN`` and leader
        locks need one that is never lent to anyone else); the caller closes it.

        Raises:
            NotImplementedError: the engine shares no state across processes (SQLite).
        """
        raise NotImplementedError(f"{self.dialect.name} has no connections of its own")
