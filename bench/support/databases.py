"""Which storage engine a bench runs on: ``--db sqlite`` (a file in the bench's folder, the
default), ``--db postgres`` (a fresh database on the server of ``--postgres``, dropped at
the end), or both in one run (``--db sqlite postgres``), each figure beside the other's.

The PostgreSQL server is ``--postgres`` (an address of a database to connect to as a role
allowed to create databases), else ``NEWSDESK_BENCH_POSTGRES``, else
``postgresql://postgres@127.0.0.1:5432/postgres``. Databases made here are named
``newsdesk_bench_<name>_…``; a kept one (``keep=True``, the search bench's cached build)
carries its build in the database's comment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.support.arguments import write_figures
from storage.database import is_postgres_address

ENGINES = ("sqlite", "postgres")
SERVER_VARIABLE = "NEWSDESK_BENCH_POSTGRES"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--db ENGINE [ENGINE]`` (into ``engines``) and ``--postgres ADDRESS``."""
    parser.add_argument(
        "--db", dest="engines", nargs="+", choices=ENGINES, default=["sqlite"],
        metavar="ENGINE",
        help="sqlite (default), postgres, or both in one run (--db sqlite postgres)",
    )
    add_postgres_option(parser, "the PostgreSQL server for --db postgres")


def add_postgres_option(
    parser: argparse.ArgumentParser, meaning: str = "the PostgreSQL server"
) -> None:
    """Add ``--postgres ADDRESS`` (PostgreSQL-only benches take it alone, without ``--db``)."""
    parser.add_argument(
        "--postgres", metavar="ADDRESS",
        default=os.environ.get(SERVER_VARIABLE, "").strip() or DEFAULT_SERVER,
        help=f"{meaning} (default ${SERVER_VARIABLE}, else {DEFAULT_SERVER})",
    )


def with_database(address: str, name: str) -> str:
    """Return ``address`` naming the database ``name`` on the same server."""
    return urlunsplit(urlsplit(address)._replace(path=f"/{name}"))


async def create_database(
    server: str, name: str, *, comment: str | None = None, template: str | None = None
) -> str:
    """Create the database ``name`` on ``server`` (dropping one of that name first), a copy
    of the database ``template`` when one is named; return its address."""
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copied = f' TEMPLATE "{template}"' if template is not None else ""
        await connection.execute(f'CREATE DATABASE "{name}"{copied}')
        if comment is not None:
            await connection.execute(f'COMMENT ON DATABASE "{name}" IS $${comment}$$')
    finally:
        await connection.close()
    return with_database(server, name)


async def database_comment(server: str, name: str) -> str | None:
    """Return the comment of the database ``name`` (None when it does not exist)."""
    connection = await asyncpg.connect(server)
    try:
        found: str | None = await connection.fetchval(
            "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database"
            " WHERE datname = $1", name,
        )
    finally:
        await connection.close()
    return found


async def set_database_comment(server: str, name: str, comment: str) -> None:
    """Record ``comment`` on the database ``name`` (a kept build's description)."""
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'COMMENT ON DATABASE "{name}" IS $${comment}$$')
    finally:
        await connection.close()


async def drop_database(server: str, address: str) -> None:
    """Drop the database at ``address``, closing what still uses it."""
    name = urlsplit(address).path.lstrip("/")
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def fresh_name(name: str) -> str:
    """Return a database name of this bench run's own."""
    return f"newsdesk_bench_{name}_{os.getpid()}_{secrets.token_hex(3)}"


@asynccontextmanager
async def bench_database(
    engine: str, folder: Path, server: str, name: str
) -> AsyncIterator[Path | str]:
    """Yield where the bench's database lives: a SQLite file in ``folder``, or the address of
    a fresh PostgreSQL database, dropped on the way out."""
    if engine == "sqlite":
        yield folder / f"{name}.sqlite3"
        return
    address = await create_database(server, fresh_name(name))
    try:
        yield address
    finally:
        await drop_database(server, address)


@contextmanager
def bench_database_sync(
    engine: str, folder: Path, server: str, name: str
) -> Iterator[Path | str]:
    """``bench_database`` for a bench whose steps each run their own event loop."""
    if engine == "sqlite":
        yield folder / f"{name}.sqlite3"
        return
    address = asyncio.run(create_database(server, fresh_name(name)))
    try:
        yield address
    finally:
        asyncio.run(drop_database(server, address))


def database_option(text: str) -> Path | str:
    """Read a child process's ``--db``: a PostgreSQL address stays text, else a file path."""
    return text if is_postgres_address(text) else Path(text)


def database_fields(target: Path | str) -> dict[str, Any]:
    """Return the ``Settings`` fields that point the bot at ``target``."""
    if isinstance(target, Path):
        return {"database_path": target}
    return {"database_url": target}


async def vacuum_analyze(address: str) -> None:
    """``VACUUM ANALYZE`` a freshly loaded database, as autovacuum would in time (it flushes
    the GIN index's pending list and marks pages all-visible)."""
    connection = await asyncpg.connect(address)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


class EngineRun(Protocol):
    """What a bench's run on one engine says of itself."""

    @property
    def ok(self) -> bool:
        """Whether the run met its targets."""
        ...


Run = TypeVar("Run", bound=EngineRun)


def finish_engine_runs(
    results: Mapping[str, Run],
    json_path: Path | None,
    *,
    figures: Callable[[Run], Any],
    summary: Callable[[Run], str],
) -> int:
    """Print the side-by-side line when several engines ran, write the figures (one set, or
    one per engine) and return the bench's exit status."""
    if len(results) > 1:
        print("side by side: " + "; ".join(
            f"{engine} {summary(result)}" for engine, result in results.items()
        ))
    written = (
        figures(next(iter(results.values()))) if len(results) == 1
        else {engine: figures(result) for engine, result in results.items()}
    )
    write_figures(json_path, written)
    return 0 if all(result.ok for result in results.values()) else 1
