"""The Database on real SQLite files: pragmas, migrations, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.errors import DatabaseTooNew
from storage.database import MIGRATIONS_DIR, Database, list_migrations


async def test_fresh_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "nd.sqlite3")
    try:
        assert await database.schema_version() == len(list_migrations(MIGRATIONS_DIR))
        journal = await database.fetch_one("PRAGMA journal_mode")
        foreign_keys = await database.fetch_one("PRAGMA foreign_keys")
        assert journal is not None and journal[0] == "wal"
        assert foreign_keys is not None and foreign_keys[0] == 1
    finally:
        await database.close()


async def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "nd.sqlite3"
    database = await Database.open(path)
    await database.close()
    database = await Database.open(path)
    try:
        assert await database.migrate() == 0
        tables = await database.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert {"feeds", "subscriptions", "articles", "outbox"} <= {row[0] for row in tables}
    finally:
        await database.close()


async def test_failing_migration_leaves_version_and_schema_unchanged(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_first.sql").write_text("CREATE TABLE first (id INTEGER PRIMARY KEY);")
    (migrations / "0002_broken.sql").write_text(
        "CREATE TABLE second (id INTEGER PRIMARY KEY);\nTHIS IS NOT SQL;"
    )
    path = tmp_path / "nd.sqlite3"
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(path, migrations_dir=migrations)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert "first" in names
    assert "second" not in names


async def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nd.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 999")
    with pytest.raises(DatabaseTooNew, match="999"):
        await Database.open(path)


async def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "nd.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with database.transaction() as tx:
                await tx.execute(
                    "INSERT INTO feeds (url, interval_seconds, next_check_at, created_at)"
                    " VALUES ('https://a.example/feed', 600, 0, 0)"
                )
                raise RuntimeError("boom")
        row = await database.fetch_one("SELECT COUNT(*) FROM feeds")
        assert row is not None and row[0] == 0
    finally:
        await database.close()


def test_migration_numbering_gaps_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("")
    (tmp_path / "0003_c.sql").write_text("")
    with pytest.raises(ValueError, match="numbering"):
        list_migrations(tmp_path)
