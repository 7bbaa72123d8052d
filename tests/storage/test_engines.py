"""The storage seam: placeholders, dialect helpers, schemas and migrations on both engines."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.core.errors import DatabaseTooNew, DatabaseUnreachable
from bot.core.models import FeedSnapshot, FilterField, MatchKind
from storage import Database, Repositories
from storage.database import MIGRATIONS_DIR, list_migrations, printable
from storage.engines.placeholders import to_postgres
from storage.engines.postgres import (
    POSTGRES_MIGRATIONS_DIR,
    PostgresDatabase,
    postgres_migrations,
)
from tests.fixtures.postgres import PostgresServer

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HEAD = len(list_migrations(MIGRATIONS_DIR))


# -- placeholders ------------------------------------------------------------------------


def test_question_marks_become_numbered_parameters() -> None:
    statement = to_postgres("UPDATE t SET a = ?, b = 'x?y' WHERE id = ? -- why?\n RETURNING id")
    assert statement.text == "UPDATE t SET a = $1, b = 'x?y' WHERE id = $2 -- why?\n RETURNING id"
    assert statement.arguments([1, 2]) == (1, 2)
    assert statement.returns_rows


def test_named_parameters_share_one_number_and_casts_stay_casts() -> None:
    statement = to_postgres(
        "SELECT :now + x, CAST(:feeds AS tsquery), y::text, ':not' FROM t WHERE z < :now"
    )
    assert statement.text == (
        "SELECT $1 + x, CAST($2 AS tsquery), y::text, ':not' FROM t WHERE z < $1"
    )
    assert statement.arguments({"feeds": "f", "now": 5.0}) == (5.0, "f")


def test_a_statement_without_returning_reports_a_row_count() -> None:
    assert not to_postgres("UPDATE t SET a = 1 WHERE b = 'RETURNING'").returns_rows
    assert to_postgres("  with x AS (SELECT 1) SELECT * FROM x").returns_rows


def test_mixed_or_miscounted_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="either"):
        to_postgres("SELECT ? + :a")
    with pytest.raises(ValueError, match="2 placeholders"):
        to_postgres("SELECT ?, ?").arguments([1])


def test_a_password_never_appears_in_what_is_logged() -> None:
    assert printable("postgresql://news:s3cret@db.example:5432/nd") == (
        "postgresql://news:***@db.example:5432/nd"
    )
    assert printable("postgresql://news@db.example/nd") == "postgresql://news@db.example/nd"
    assert printable(Path("/srv/nd.sqlite3")) == "/srv/nd.sqlite3"


async def test_an_unreachable_postgres_server_is_one_clear_sentence() -> None:
    with pytest.raises(DatabaseUnreachable) as refused:
        await Database.open("postgresql://newsdesk:s3cret@127.0.0.1:1/newsdesk")
    message = refused.value.message
    assert message.startswith(
        "Newsdesk could not open the PostgreSQL database at "
        "postgresql://newsdesk:***@127.0.0.1:1/newsdesk ("
    )
    assert "s3cret" not in message and "NEWSDESK_DB" in message


# -- dialect helpers and triggers, on both engines ----------------------------------------


async def test_dialect_helpers_mean_the_same_on_both_engines(database: Database) -> None:
    dialect = database.dialect
    async with database.transaction() as tx:
        await tx.executemany(
            "INSERT INTO guild_settings (guild_id, log_channel_id) VALUES (?, ?)",
            [(1, 10), (2, None), (3, 30)],
        )
    in_rows, ids = dialect.in_list("guild_id", [1, 3, 99])
    not_in_rows, not_ids = dialect.not_in_list("guild_id", [1])
    picked = await database.fetch_all(
        f"SELECT guild_id FROM guild_settings WHERE {in_rows} ORDER BY guild_id", ids
    )
    others = await database.fetch_all(
        f"SELECT guild_id FROM guild_settings WHERE {not_in_rows} ORDER BY guild_id", not_ids
    )
    row = await database.fetch_one(
        f"SELECT {dialect.greatest('guild_id', '2')}, {dialect.least('guild_id', '2')},"
        f" (SELECT {dialect.any_true('guild_id = 3')} FROM guild_settings),"
        f" (SELECT {dialect.any_true('guild_id = 4')} FROM guild_settings),"
        f" (SELECT COUNT(*) FROM guild_settings"
        f"  WHERE {dialect.same_as('log_channel_id', '?')})"
        " FROM guild_settings WHERE guild_id = 1",
        [None],
    )
    assert [r[0] for r in picked] == [1, 3]
    assert [r[0] for r in others] == [2, 3]
    assert row is not None and tuple(row) == (2, 1, 1, 0, 1)


async def test_case_folded_order_is_byte_order_without_case(database: Database) -> None:
    async with database.transaction() as tx:
        await tx.executemany(
            "INSERT INTO instance (key, value) VALUES (?, '')",
            [("b",), ("_z",), ("A",), ("a2",), ("B1",)],
        )
    rows = await database.fetch_all(
        "SELECT key FROM instance WHERE key != 'nonce_prefix'"
        f" ORDER BY {database.dialect.case_folded('key')}, key"
    )
    # Both fold to lower case before comparing bytes: "_" (0x5F) sorts before "a" (0x61).
    assert [row[0] for row in rows] == ["_z", "A", "a2", "b", "B1"]


async def test_the_routing_generation_moves_only_for_routing_changes(
    repositories: Repositories,
) -> None:
    generation = repositories.follows.routing_generation
    subscribed = await repositories.subscriptions.subscribe(
        1, 10, _snapshot(), created_by=1, now=NOW, max_feeds=10
    )
    after_subscribing = await generation()
    await repositories.subscriptions.set_look(1, subscribed.subscription.id, template="{title}")
    await repositories.follows.add_rule(
        1, subscription_id=subscribed.subscription.id, follow_id=None, action="include",
        field=FilterField.TITLE, match_kind=MatchKind.WORD, pattern="mayor", now=NOW,
    )
    after_subscription_details = await generation()
    follow, _ = await repositories.follows.add(
        1, 10, "keyword", "harbour", role_id=None, subscription_ids=None, created_by=1, now=NOW
    )
    after_follow = await generation()
    await repositories.follows.add_rule(
        1, subscription_id=None, follow_id=follow.id, action="exclude",
        field=FilterField.TITLE, match_kind=MatchKind.WORD, pattern="sport", now=NOW,
    )
    after_follow_rule = await generation()
    await repositories.subscriptions.disable(1, subscribed.subscription.id, "testing")

    assert after_subscription_details == after_subscribing
    assert after_subscribing < after_follow < after_follow_rule < await generation()


async def test_article_days_keep_the_lowest_id_of_each_day(database: Database) -> None:
    day = 20_000
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO feeds (id, url, interval_seconds, next_check_at, created_at)"
            " VALUES (1, 'https://a.example/feed', 600, 0, 0)"
        )
        await tx.executemany(
            "INSERT INTO articles (id, feed_id, entry_key, title, summary, published_at,"
            " first_seen_at) VALUES (?, 1, ?, 't', 's', ?, ?)",
            [(5, "e5", None, day * 86400.0 + 10), (7, "e7", None, day * 86400.0 + 20),
             (9, "e9", (day + 1) * 86400.0 + 5, day * 86400.0)],
        )
        # A later date change only ever lowers a day's bound.
        await tx.execute("UPDATE articles SET published_at = ? WHERE id = 7",
                         ((day + 1) * 86400.0 + 99,))
    rows = await database.fetch_all("SELECT day, first_id FROM article_days ORDER BY day")
    assert [tuple(row) for row in rows] == [(day, 5), (day + 1, 7)]


def _snapshot() -> FeedSnapshot:
    return FeedSnapshot(
        url="https://news.example/feed", title="News", site_url=None, etag=None,
        last_modified=None, body_sha256="x", interval_seconds=600, next_check_at=NOW,
        entries=[],
    )


# -- PostgreSQL: one schema, migrations, transactions ------------------------------------


@pytest.fixture
async def postgres_address(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """An empty PostgreSQL database (no Newsdesk schema yet)."""
    address = await postgres_server.create_empty_database()
    try:
        yield address
    finally:
        await postgres_server.drop_database(address)


@pytest.mark.postgres
async def test_postgres_schema_matches_sqlite_at_the_head(
    postgres_address: str, tmp_path: Path
) -> None:
    sqlite_database = await Database.open(tmp_path / "nd.sqlite3")
    await sqlite_database.close()
    postgres_database = await Database.open(postgres_address)
    await postgres_database.close()
    with sqlite3.connect(tmp_path / "nd.sqlite3") as raw:
        expected = _sqlite_schema(raw)
    connection = await asyncpg.connect(postgres_address)
    try:
        found = await _postgres_schema(connection)
    finally:
        await connection.close()
    for part in expected:
        assert found[part] == expected[part], part


@pytest.mark.postgres
async def test_postgres_migrates_once_to_the_head(postgres_address: str) -> None:
    database = await Database.open(postgres_address)
    try:
        assert await database.schema_version() == HEAD
        assert await database.migrate() == 0
        prefix = await database.fetch_one("SELECT value FROM instance WHERE key = 'nonce_prefix'")
        assert prefix is not None and len(prefix[0]) == 8
    finally:
        await database.close()


@pytest.mark.postgres
async def test_postgres_database_newer_than_the_code_is_refused(postgres_address: str) -> None:
    database = await Database.open(postgres_address)
    try:
        async with database.transaction() as tx:
            await tx.execute("UPDATE schema_version SET version = 999")
    finally:
        await database.close()
    with pytest.raises(DatabaseTooNew, match="999"):
        await Database.open(postgres_address)


@pytest.mark.postgres
async def test_a_later_migration_is_shared_unless_postgres_has_its_own(
    postgres_address: str, tmp_path: Path
) -> None:
    shared, own = _migration_dirs(tmp_path)
    (shared / f"{HEAD + 1:04d}_colour.sql").write_text("ALTER TABLE feeds ADD COLUMN colour TEXT;")
    (shared / f"{HEAD + 2:04d}_size.sql").write_text("ALTER TABLE feeds ADD COLUMN size REAL;")
    (own / f"{HEAD + 2:04d}_size.sql").write_text(
        "ALTER TABLE feeds ADD COLUMN size double precision;"
    )
    database = await PostgresDatabase.connect(
        postgres_address, migrations_dir=shared, postgres_migrations_dir=own
    )
    try:
        columns = await database.fetch_all(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'feeds' AND column_name IN ('colour', 'size')"
            " ORDER BY column_name"
        )
        assert await database.schema_version() == HEAD + 2
    finally:
        await database.close()
    assert [tuple(row) for row in columns] == [("colour", "text"), ("size", "double precision")]


@pytest.mark.postgres
async def test_a_failing_postgres_migration_changes_nothing(
    postgres_address: str, tmp_path: Path
) -> None:
    shared, own = _migration_dirs(tmp_path)
    (shared / f"{HEAD + 1:04d}_broken.sql").write_text(
        "CREATE TABLE second (id bigint PRIMARY KEY);\nTHIS IS NOT SQL;"
    )
    with pytest.raises(asyncpg.PostgresSyntaxError):
        await PostgresDatabase.connect(
            postgres_address, migrations_dir=shared, postgres_migrations_dir=own
        )
    connection = await asyncpg.connect(postgres_address)
    try:
        version = await connection.fetchval("SELECT version FROM schema_version")
        second = await connection.fetchval("SELECT to_regclass('second')")
    finally:
        await connection.close()
    assert (version, second) == (HEAD, None)


def test_the_postgres_plan_is_the_baseline_then_the_later_migrations(tmp_path: Path) -> None:
    baseline = POSTGRES_MIGRATIONS_DIR / "0013_baseline.sql"
    replaced = {int(path.name[:4]): path for path in POSTGRES_MIGRATIONS_DIR.glob("*.sql")}
    after_baseline = list_migrations(MIGRATIONS_DIR)[13:]
    later = [(number, replaced.get(number, path)) for number, path in after_baseline]
    assert postgres_migrations() == [(13, baseline), *later]
    assert postgres_migrations()[-1][0] == HEAD
    shared, own = _migration_dirs(tmp_path)
    (own / f"{HEAD + 1:04d}_orphan.sql").write_text("")
    with pytest.raises(ValueError, match="no SQLite migration"):
        postgres_migrations(shared, own)


@pytest.mark.postgres
async def test_postgres_transactions_run_side_by_side(postgres_address: str) -> None:
    database = await Database.open(postgres_address)
    try:
        inside = asyncio.Event()
        release = asyncio.Event()

        async def long_transaction() -> None:
            async with database.transaction() as tx:
                await tx.execute("INSERT INTO guild_settings (guild_id) VALUES (1)")
                inside.set()
                await release.wait()

        holder = asyncio.create_task(long_transaction())
        await inside.wait()
        # SQLite's process lock would keep this waiting for the first transaction.
        async with asyncio.timeout(5), database.transaction() as tx:
            await tx.execute("INSERT INTO guild_settings (guild_id) VALUES (2)")
        seen = await database.fetch_all("SELECT guild_id FROM guild_settings")
        release.set()
        await holder
        both = await database.fetch_all("SELECT guild_id FROM guild_settings ORDER BY 1")
    finally:
        await database.close()
    assert [row[0] for row in seen] == [2]  # the first one's row is not committed yet
    assert [row[0] for row in both] == [1, 2]


def _migration_dirs(tmp_path: Path) -> tuple[Path, Path]:
    shared, own = tmp_path / "migrations", tmp_path / "migrations_postgres"
    shutil.copytree(MIGRATIONS_DIR, shared)
    shutil.copytree(POSTGRES_MIGRATIONS_DIR, own)
    return shared, own


# What each engine keeps for itself (see the baseline's header); generated columns (FTS5's
# feed token, PostgreSQL's feeds.host_bucket) are derived data, left out on both sides.
_SQLITE_ONLY_TABLES = ("article_search",)
_POSTGRES_ONLY_TABLES = (
    "schema_version", "article_search", "leader_leases", "global_pace", "pollers",
    "poll_buckets", "identify_buckets", "identify_budget",
)
_SQLITE_TYPES = {"INTEGER": "int64", "REAL": "float64", "TEXT": "str", "BLOB": "bytes"}
_POSTGRES_TYPES = {
    "bigint": "int64", "double precision": "float64", "text": "str", "bytea": "bytes",
}


def _sqlite_schema(raw: sqlite3.Connection) -> dict[str, set[tuple[object, ...]]]:
    tables = [
        name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith(("sqlite_", *_SQLITE_ONLY_TABLES))
    ]
    schema: dict[str, set[tuple[object, ...]]] = {
        "columns": set(), "indexes": set(), "unique": set(), "foreign keys": set(),
        "triggers": set(),
    }
    for table in tables:
        for _, name, kind, notnull, default, pk, hidden in raw.execute(
            f"SELECT * FROM pragma_table_xinfo('{table}')"
        ):
            if hidden:
                continue  # feed_token: FTS5's, generated
            schema["columns"].add(
                (table, name, _SQLITE_TYPES[kind], bool(notnull or pk), _default(default))
            )
        for _, index, unique, origin, _partial in raw.execute(
            f"SELECT * FROM pragma_index_list('{table}')"
        ):
            columns = tuple(
                row[2] for row in raw.execute(f"SELECT * FROM pragma_index_info('{index}')")
            )
            if origin == "c":
                schema["indexes"].add((table, index))
            elif origin == "u" and unique:
                schema["unique"].add((table, columns))
        for row in raw.execute(f"SELECT * FROM pragma_foreign_key_list('{table}')"):
            schema["foreign keys"].add((table, row[3], row[2], row[4], row[6]))
    schema["triggers"] = {
        (table, name) for name, table in raw.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
        ) if not name.startswith("articles_search_")
    }
    return schema


async def _postgres_schema(connection: asyncpg.Connection) -> dict[str, set[tuple[object, ...]]]:
    schema: dict[str, set[tuple[object, ...]]] = {}
    columns = await connection.fetch(
        "SELECT table_name, column_name, data_type, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name <> ALL($1) AND is_generated = 'NEVER'",
        list(_POSTGRES_ONLY_TABLES),
    )
    schema["columns"] = {
        (row[0], row[1], _POSTGRES_TYPES.get(row[2], row[2]), row[3] == "NO", _default(row[4]))
        for row in columns
    }
    indexes = await connection.fetch(
        "SELECT t.relname, i.relname, x.indisunique, x.indisprimary,"
        " ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)"
        "  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n),"
        " EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace"
        " WHERE s.nspname = 'public' AND t.relname <> ALL($1)",
        list(_POSTGRES_ONLY_TABLES),
    )
    schema["indexes"] = {(row[0], row[1]) for row in indexes if not row[5]}
    # Constraints, as SQLite lists them (a CREATE UNIQUE INDEX is compared among "indexes").
    schema["unique"] = {
        (row[0], tuple(row[4])) for row in indexes if row[2] and not row[3] and row[5]
    }
    keys = await connection.fetch(
        "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, r.attname,"
        " c.confdeltype FROM pg_constraint c"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
        " JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]"
        " WHERE c.contype = 'f' AND c.conrelid::regclass::text <> ALL($1)",
        list(_POSTGRES_ONLY_TABLES),
    )
    deletes = {b"a": "NO ACTION", b"n": "SET NULL", b"c": "CASCADE"}
    schema["foreign keys"] = {(row[0], row[1], row[2], row[3], deletes[row[4]]) for row in keys}
    triggers = await connection.fetch(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND t.tgname NOT LIKE 'articles_search_%'"
    )
    schema["triggers"] = {(row[0], row[1]) for row in triggers}
    return schema


def _default(value: object) -> object:
    """Normalise a column default: SQLite's ``'all'`` and PostgreSQL's ``'all'::text``."""
    if value is None or "nextval" in str(value):
        return None
    return str(value).split("::")[0]
