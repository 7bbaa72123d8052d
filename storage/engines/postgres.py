"""PostgreSQL: an asyncpg pool, real transactions, and the schema from a baseline on.

Rules:
- A pool of connections; ``transaction()`` takes one for the block and runs it as one
  PostgreSQL transaction (READ COMMITTED). Transactions of one process run side by side:
  the unique constraints and row locks the statements take are what keep them apart, not
  a lock in this process (that one is SQLite's, which has one writer).
- Statements keep SQLite's placeholders; ``storage.engines.placeholders`` rewrites them
  once per distinct text, and asyncpg prepares and caches each on its connection.
- Schema: ``storage/migrations_postgres`` holds a baseline (the whole schema at its number,
  equal to what SQLite has at that number) and the later migrations whose PostgreSQL text
  differs; every other later migration is the shared file of ``storage/migrations``. The
  version lives in ``schema_version``; each migration runs in its own transaction with its
  version bump, under an advisory lock so two processes never migrate at once. A database
  newer than the code is refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Coroutine, Generator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from bot.core.errors import DatabaseUnreachable, StorageBusy, StorageFull
from storage.database import (
    MIGRATIONS_DIR,
    Database,
    Params,
    Row,
    Transaction,
    list_migrations,
    printable,
    refuse_newer,
)
from storage.engines.dialects import POSTGRES
from storage.engines.placeholders import to_postgres

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # A connection of its own, or one lent by the pool.
    PgConnection: TypeAlias = (
        asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    )

log = logging.getLogger(__name__)

POSTGRES_MIGRATIONS_DIR = Path(__file__).parents[1] / "migrations_postgres"
# Any fixed number: the key of the advisory lock held while migrating.
_MIGRATION_LOCK = 7_202_611_117
_STATUS_COUNT = re.compile(r"(\d+)$")
# Errors after which nothing of the transaction was written and trying again later may work.
_PASSING = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    ConnectionError,
)


class PostgresCursor:
    """The rows (or the row count) a statement handed back."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self._rowcount = rowcount

    @property
    def rowcount(self) -> int:
        """Rows the statement changed (or returned); -1 when it does not say."""
        return self._rowcount

    async def fetchone(self) -> Row | None:
        """Return the first row, if any."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Row]:
        """Return every row."""
        return list(self._rows)


class PendingStatement:
    """A statement sent to PostgreSQL: awaitable, or an ``async with`` giving its cursor."""

    def __init__(self, running: Coroutine[Any, Any, PostgresCursor]) -> None:
        self._running = running

    def __await__(self) -> Generator[Any, None, PostgresCursor]:
        return self._running.__await__()

    async def __aenter__(self) -> PostgresCursor:
        return await self._running

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None, /,
    ) -> None:
        return None


class PostgresTransaction:
    """The statements of one open transaction on one pooled connection."""

    def __init__(self, connection: PgConnection) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Params = (), /) -> PendingStatement:
        """Run one statement (SQLite placeholders) inside the transaction."""
        return PendingStatement(run_statement(self._connection, sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> PendingStatement:
        """Run one statement once per set of parameters inside the transaction."""
        return PendingStatement(_run_many(self._connection, sql, parameters))


async def run_statement(
    connection: PgConnection, sql: str, parameters: Params
) -> PostgresCursor:
    """Run a statement written with SQLite placeholders and return its cursor."""
    statement = to_postgres(sql)
    arguments = statement.arguments(parameters)
    if statement.returns_rows:
        rows = await connection.fetch(statement.text, *arguments)
        return PostgresCursor(rows, len(rows))
    status = await connection.execute(statement.text, *arguments)
    found = _STATUS_COUNT.search(status)
    return PostgresCursor([], int(found.group(1)) if found else -1)


async def _run_many(
    connection: PgConnection, sql: str, parameters: Iterable[Params]
) -> PostgresCursor:
    statement = to_postgres(sql)
    await connection.executemany(
        statement.text, [statement.arguments(one) for one in parameters]
    )
    return PostgresCursor([], -1)


def postgres_migrations(
    shared_dir: Path = MIGRATIONS_DIR, postgres_dir: Path = POSTGRES_MIGRATIONS_DIR
) -> list[tuple[int, Path]]:
    """Return PostgreSQL's migration plan: the baseline, then each later migration (its
    PostgreSQL file when there is one, else the shared one).

    Raises:
        ValueError: the directories do not line up (no baseline, a PostgreSQL migration
            SQLite lacks, a bad name).
    """
    shared = list_migrations(shared_dir)
    own: dict[int, Path] = {}
    for path in sorted(postgres_dir.glob("*.sql")):
        number = int(path.name[:4]) if path.name[:4].isdigit() else 0
        if number == 0 or path.name[4] != "_":
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        own[number] = path
    baselines = [number for number, path in own.items() if path.stem.endswith("_baseline")]
    if len(baselines) != 1:
        raise ValueError(f"{postgres_dir} must hold exactly one NNNN_baseline.sql")
    baseline = baselines[0]
    if baseline > len(shared) or any(number > len(shared) for number in own):
        raise ValueError("a PostgreSQL migration has no SQLite migration of the same number")
    if any(number < baseline for number in own):
        raise ValueError("PostgreSQL migrations below the baseline are never applied")
    return [(baseline, own[baseline])] + [
        (number, own.get(number, path)) for number, path in shared[baseline:]
    ]


class PostgresDatabase(Database):
    """The application's database on a PostgreSQL server, through an asyncpg pool."""

    dialect = POSTGRES

    def __init__(
        self, pool: asyncpg.Pool, postgres_migrations_dir: Path = POSTGRES_MIGRATIONS_DIR,
        address: str | None = None,
    ) -> None:
        self._pool = pool
        self._postgres_dir = postgres_migrations_dir
        self._address = address

    async def connect_alone(self) -> asyncpg.Connection[asyncpg.Record]:
        """Open a connection outside the pool, for ``LISTEN`` (a pooled one is lent and taken
        back; a listener must keep its connection)."""
        if self._address is None:
            raise RuntimeError("this database was opened from a pool, without its address")
        return await asyncpg.connect(
            self._address, server_settings={"application_name": "newsdesk"}
        )

    @classmethod
    async def connect(
        cls, address: str, *, migrations_dir: Path = MIGRATIONS_DIR,
        postgres_migrations_dir: Path = POSTGRES_MIGRATIONS_DIR, max_connections: int = 10,
    ) -> PostgresDatabase:
        """Connect to the database at ``address`` and bring its schema up to date.

        Raises:
            DatabaseUnreachable: the server cannot be reached, or refuses the connection.
            DatabaseTooNew: the database was migrated by a newer Newsdesk.
        """
        try:
            pool = await asyncpg.create_pool(
                address, min_size=1, max_size=max_connections,
                # A search is a short query the JIT compiler only slows down.
                server_settings={"application_name": "newsdesk", "jit": "off"},
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            reason = str(error) or type(error).__name__
            raise DatabaseUnreachable(printable(address), reason) from error
        database = cls(pool, postgres_migrations_dir, address)
        try:
            await database.migrate(migrations_dir)
        except BaseException:
            await database.close()
            raise
        log.info("opened postgresql database=%s", printable(address))
        return database

    async def close(self) -> None:
        """Close every pooled connection (transactions in progress finish first)."""
        await self._pool.close()

    async def schema_version(self) -> int:
        """Return the number of the last migration applied (0 for an empty database)."""
        async with self._pool.acquire() as connection:
            return await _version(connection)

    async def migrate(self, migrations_dir: Path = MIGRATIONS_DIR) -> int:
        """Apply the migrations above the current version; return how many were applied.

        Raises:
            DatabaseTooNew: the database's version is above the newest migration known here.
        """
        plan = postgres_migrations(migrations_dir, self._postgres_dir)
        known = plan[-1][0]
        applied = 0
        async with self._pool.acquire() as connection:
            while True:
                async with connection.transaction():
                    await connection.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                    await connection.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version ("
                        " id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)"
                    )
                    current = await _version(connection)
                    refuse_newer(current, known)
                    pending = [(number, path) for number, path in plan if number > current]
                    if not pending:
                        return applied
                    if current and current < plan[0][0]:
                        raise ValueError(
                            f"a PostgreSQL database at version {current} predates the baseline"
                        )
                    number, path = pending[0]
                    try:
                        await connection.execute(path.read_text(encoding="utf-8"))
                    except BaseException:
                        log.exception("migration failed migration=%s", path.name)
                        raise
                    await connection.execute(
                        "INSERT INTO schema_version (id, version) VALUES (1, $1)"
                        " ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                        number,
                    )
                log.info("applied migration=%s", path.name)
                applied += 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the block as one PostgreSQL transaction: all of it or none of it.

        Raises:
            StorageFull: the server's disk is full; nothing of the block was written.
            StorageBusy: a lock, a deadlock or a lost connection stopped the block; nothing
                of it was written.
        """
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                yield PostgresTransaction(connection)
        except asyncpg.exceptions.DiskFullError as error:
            log.error("database disk is full: %s", error)
            raise StorageFull() from error
        except _PASSING as error:
            log.warning("database transaction could not finish: %r", error)
            raise StorageBusy() from error

    @asynccontextmanager
    async def bulk_transaction(self) -> AsyncIterator[PgConnection]:
        """Yield a pooled connection inside a transaction, for bulk copies (``COPY``)."""
        async with self._pool.acquire() as connection, connection.transaction():
            yield connection

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a read query and return every row."""
        statement = to_postgres(sql)
        return list(await self._pool.fetch(statement.text, *statement.arguments(params)))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Run a read query and return its first row, if any."""
        statement = to_postgres(sql)
        row: Row | None = await self._pool.fetchrow(
            statement.text, *statement.arguments(params)
        )
        return row


async def _version(connection: PgConnection) -> int:
    exists = await connection.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    version = await connection.fetchval("SELECT version FROM schema_version WHERE id = 1")
    return int(version or 0)
