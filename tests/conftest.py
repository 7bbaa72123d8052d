"""Shared fixtures: real SQLite files in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.runtime import fetch_settings_for
from bot.app.services import Services
from bot.app.settings import Settings
from bot.pipeline.fetch.fetcher import Fetcher
from storage import Database, Repositories


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated database file."""
    db = await Database.open(tmp_path / "newsdesk.sqlite3")
    try:
        yield db
    finally:
        await db.close()


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
    try:
        yield Services.build(settings, repositories, Fetcher(session, fetch_settings))
    finally:
        await session.close()
