"""Shared fixtures: real SQLite files in a temporary folder, or real PostgreSQL databases.

A test runs on SQLite unless it is marked ``@on_both_engines`` or its folder's conftest
parametrizes ``storage_engine`` (see ``tests/fixtures/engines.py``): then it runs once per
engine, the PostgreSQL run on a fresh database of its own (see ``tests/fixtures/postgres.py``
for the server it uses and when it skips).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.app.polling import fetch_settings_for
from bot.app.services import Services, reading_pool_for
from bot.app.settings import Settings
from bot.pipeline.fetch.fetcher import Fetcher
from storage import Database, Repositories

if TYPE_CHECKING:
    from tests.fixtures.postgres import PostgresServer

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs on a PostgreSQL database")
    config.addinivalue_line(
        "markers",
        "alone: a distributed smoke test left out of the suite's run (`-m 'not alone'` in"
        " addopts) and run by itself afterwards (`pytest -m alone -n 0`): its sandbox stands"
        " for Discord's edge, and the suite's own load starving it would stamp paced requests"
        " together into 429s Discord would never see",
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server of the session, with a migrated template to clone.

    Skips when none answers, but fails in CI (``CI`` set), where the tests must run.
    """
    # Only the PostgreSQL tests need these.
    import asyncpg  # noqa: PLC0415

    from tests.fixtures import postgres  # noqa: PLC0415

    address = postgres.server_address()
    try:
        server = postgres.run_aside(lambda: postgres.start_session(address))
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        reason = (
            f"no PostgreSQL server at {address} ({error!r}); set "
            f"{postgres.ADDRESS_VARIABLE} to one, or run .ci/run, which starts one"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    server = replace(server, supply=postgres.DatabaseSupply(server))
    try:
        yield server
    finally:
        postgres.run_aside(lambda: postgres.end_session(server))


@pytest.fixture
def storage_engine(request: pytest.FixtureRequest) -> str:
    """The engine the test's database runs on: SQLite unless parametrized."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
async def database_target(
    storage_engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Path | str]:
    """Where the test's database lives: a SQLite file path, or a fresh PostgreSQL
    database's address (dropped after the test)."""
    if storage_engine == "sqlite":
        yield tmp_path / "newsdesk.sqlite3"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    address = await server.take()
    try:
        yield address
    finally:
        await server.give_back(address)


@pytest.fixture
async def database(database_target: Path | str) -> AsyncIterator[Database]:
    """A freshly migrated database (a file, or a PostgreSQL database)."""
    db = await Database.open(database_target)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
async def second_process(database_target: Path | str) -> AsyncIterator[Database]:
    """Another connection pool on the same database: what another process of the bot (a
    second poller, gateway or role) has."""
    other = await Database.open(database_target)
    try:
        yield other
    finally:
        await other.close()


@pytest.fixture
def repositories(database: Database) -> Repositories:
    """Every repository over the fresh database."""
    return Repositories.over(database)


@pytest.fixture
async def services(repositories: Repositories, tmp_path: Path) -> AsyncIterator[Services]:
    """The domain services over a fresh database and a fetcher allowed to reach 127.0.0.1."""
    settings = Settings(database_path=tmp_path / "newsdesk.sqlite3", allow_private_addresses=True)
    fetch_settings = fetch_settings_for(settings)
    session = Fetcher.create_session(fetch_settings)
    reading_pool = reading_pool_for(settings)
    try:
        yield Services.build(settings, repositories, Fetcher(session, fetch_settings), reading_pool)
    finally:
        await reading_pool.close()
        await session.close()
