"""Copying a SQLite database into PostgreSQL: every row of every table, ids and all."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.models import (
    ArticleDetails,
    ArticleReading,
    FeedCheck,
    FeedSnapshot,
    FilterField,
    MatchKind,
    NewArticle,
)
from storage import Database, Repositories
from storage.transfer import TABLES, CopyRefused, copy_sqlite_to_postgres
from tests.fixtures.postgres import PostgresServer

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
async def postgres_target(postgres_server: PostgresServer) -> AsyncIterator[str]:
    address = await postgres_server.take()
    try:
        yield address
    finally:
        await postgres_server.give_back(address)


def entry(key: str, text: str = "") -> NewArticle:
    return NewArticle(
        entry_key=key, url=f"https://news.example/{key}", title=f"Harbour {key}{text}",
        summary="Summary.", author=None, image_url=None, published_at=NOW,
    )


async def fill(path: Path) -> None:
    """A little of everything: feeds, articles read into stories, posts in every state,
    follows, filters, notices, a digest, a webhook, a log channel."""
    database = await Database.open(path)
    try:
        repos = Repositories.over(database)
        snapshot = FeedSnapshot(
            url="https://news.example/feed", title="News", site_url=None, etag=None,
            last_modified=None, body_sha256="a", interval_seconds=600, next_check_at=NOW,
            entries=[entry("old")],
        )
        first = await repos.subscriptions.subscribe(1, 10, snapshot, created_by=5, now=NOW,
                                                    max_feeds=10)
        await repos.subscriptions.subscribe(2, 20, snapshot, created_by=6, now=NOW, max_feeds=10)
        check = FeedCheck(title="News", site_url=None, etag=None, last_modified=None,
                          body_sha256="b", next_check_at=NOW + timedelta(minutes=10))
        # SQLite stores a NUL character in text; PostgreSQL cannot, so the copy drops it.
        await repos.articles.ingest(first.subscription.feed_id,
                                    [entry("new"), entry("nul", "\x00!")], check, NOW)
        for unread in await repos.stories.unread(10):
            reading = ArticleReading(
                title=unread.article.title, summary="Read.", author="A. Writer",
                published_at=NOW, image_url=None, original_url=None, original_url_key=None,
                original_publisher=None, fingerprint=bytes(range(16)),
                details=ArticleDetails(people=("Alma Berg",)),
            )
            await repos.stories.record_reading(unread.article.id, reading, None, NOW)
        claimed = await repos.outbox.claim(NOW, 1)
        await repos.outbox.mark_sent(claimed[0].outbox_id, 999, NOW)
        await repos.outbox.claim(NOW, 1)  # left "sending", as a crash leaves it
        follow, _ = await repos.follows.add(2, 20, "person", "Alma Berg", role_id=7,
                                            subscription_ids=None, created_by=6, now=NOW)
        await repos.follows.add_rule(2, subscription_id=None, follow_id=follow.id,
                                     action="exclude", field=FilterField.TITLE,
                                     match_kind=MatchKind.WORD, pattern="sport", now=NOW)
        await repos.notices.queue(1, 10, "Hello", NOW)
        await repos.digests.schedule(1, 10, frequency="daily", weekday=None, at_minute=480,
                                     timezone="UTC", next_run_at=NOW, created_by=5, now=NOW)
        await repos.subscriptions.use_webhook(1, first.subscription.id, (77, "token"), 10)
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO guild_settings (guild_id, log_channel_id) VALUES (1, 11)")
    finally:
        await database.close()


async def stored_columns(path: Path) -> dict[str, str]:
    """Each table's columns as SQLite stores them (not FTS5's generated feed token)."""
    database = await Database.open(path)
    try:
        found = {}
        for table in TABLES:
            info = await database.fetch_all(
                f"SELECT name FROM pragma_table_xinfo('{table}') WHERE hidden = 0"
            )
            found[table] = ", ".join(row[0] for row in info)
        return found
    finally:
        await database.close()


async def every_row(target: Path | str, table: str, columns: str) -> list[tuple[object, ...]]:
    database = await Database.open(target)
    try:
        rows = await database.fetch_all(f"SELECT {columns} FROM {table} ORDER BY 1")
        return [tuple(row) for row in rows]
    finally:
        await database.close()


async def test_every_row_arrives_with_its_id_and_new_rows_continue_after_them(
    tmp_path: Path, postgres_target: str
) -> None:
    source = tmp_path / "newsdesk.sqlite3"
    await fill(source)
    columns = await stored_columns(source)

    report = await copy_sqlite_to_postgres(source, postgres_target)

    for table in TABLES:
        expected = [
            tuple(str(value).replace("\x00", "") if isinstance(value, str) else value
                  for value in row)
            for row in await every_row(source, table, columns[table])
        ]
        assert await every_row(postgres_target, table, columns[table]) == expected, table
        assert report.rows[table] == len(expected)
    assert report.rows["articles"] == 3 and report.rows["outbox"] == 4
    database = await Database.open(postgres_target)
    try:
        repos = Repositories.over(database)
        assert await repos.outbox.nonce_prefix() == report.nonce_prefix
        notice_id = await repos.notices.queue(1, 10, "After the move", NOW)
        found = await repos.articles.search(1, '"harbour"', ranked=True, feed_id=None,
                                            since=None, limit=5, offset=0, window=1000)
    finally:
        await database.close()
    assert notice_id == 2  # the sequence moved past the copied notice
    assert found[0] == 3  # the copied articles are indexed for search


async def test_a_file_this_code_cannot_copy_exactly_is_refused(
    tmp_path: Path, postgres_target: str
) -> None:
    extra, newer = tmp_path / "extra.sqlite3", tmp_path / "newer.sqlite3"
    for path in (extra, newer):
        await fill(path)
    # (closing: an open connection would be refused first, as "in use")
    with closing(sqlite3.connect(extra)) as raw:
        raw.execute("CREATE TABLE extra (id INTEGER PRIMARY KEY)")
    with closing(sqlite3.connect(newer)) as raw:
        raw.execute("PRAGMA user_version = 999")

    refusals = []
    for path in (extra, newer, tmp_path / "nothing.sqlite3"):
        with pytest.raises(CopyRefused) as refused:
            await copy_sqlite_to_postgres(path, postgres_target)
        refusals.append(refused.value.reason)

    assert refusals == ["unknown table", "version", "missing"]
    assert await every_row(postgres_target, "feeds", "id") == []
