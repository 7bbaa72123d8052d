"""Shared fixtures: real SQLite files in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
