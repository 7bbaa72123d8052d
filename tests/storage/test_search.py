"""/search on real SQLite: ranking within the newest matches, pages, common words, filters."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.features.search.search import COUNT_CAP, SearchPage, SearchService, describe_search_page
from storage import Database, Repositories
from storage.database import MIGRATIONS_DIR, list_migrations

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DAY = 86_400.0
GUILD, OTHER_GUILD = 111, 222
MINE, MINE_TOO, THEIRS = 1, 2, 3  # feeds: two of GUILD's, one of OTHER_GUILD's
# Every article has the same number of words in each field, so BM25 scores tie unless a
# test makes one field differ; ties go newest first.
PLAIN_TEXT = "the harbour board met on tuesday and the vote was close"
DAYS_MIGRATION = 13  # storage/migrations/0013_search_days.sql


async def seed(database: Database) -> None:
    """Three feeds; GUILD follows two (two subscriptions), OTHER_GUILD the third."""
    now = NOW.timestamp()
    async with database.transaction() as tx:
        await tx.executemany(
            "INSERT INTO feeds (id, url, title, interval_seconds, next_check_at, created_at)"
            " VALUES (?, ?, ?, 900, ?, ?)",
            [(feed, f"https://feed{feed}.example/rss", f"Feed {feed}", now, now)
             for feed in (MINE, MINE_TOO, THEIRS)],
        )
        await tx.executemany(
            "INSERT INTO subscriptions (id, guild_id, channel_id, feed_id, enabled, created_by,"
            " created_at) VALUES (?, ?, ?, ?, 1, 1, ?)",
            [(1, GUILD, 10, MINE, now), (2, GUILD, 10, MINE_TOO, now),
             (3, OTHER_GUILD, 20, THEIRS, now)],
        )


async def add_articles(
    database: Database, rows: Sequence[tuple[int, int, str, str, float, float | None]]
) -> None:
    """Insert (id, feed, title, text, first seen, published) articles, indexed by the
    production triggers."""
    async with database.transaction() as tx:
        await tx.executemany(
            "INSERT INTO articles (id, feed_id, entry_key, url, title, summary, published_at,"
            " first_seen_at, text) VALUES (?, ?, ?, ?, ?, 'A short summary here.', ?, ?, ?)",
            [(id_, feed, f"e{id_}", f"https://feed{feed}.example/{id_}", title, published,
              seen, text) for id_, feed, title, text, seen, published in rows],
        )


def seen_at(id_: int, total: int) -> float:
    """First-seen times grow with the id, one hour apart, the newest an hour ago."""
    return NOW.timestamp() - 3600.0 * (total - id_ + 1)


def ids(page: SearchPage) -> list[int]:
    return [hit.article.id for hit in page.hits]


HARBOUR_TITLES = {3000, 3300, 3450}  # among the newest matches, with the word in the title


async def broad_world(database: Database) -> None:
    """3,600 articles of GUILD's feeds, every third with "harbour" in its text (1,200), the
    200 oldest of those and three recent ones with it in the title too; then 50 newer
    articles of OTHER_GUILD's feed. "the" and "board" are in every article."""
    await seed(database)
    total = 3650
    rows = []
    for id_ in range(1, total + 1):
        feed = THEIRS if id_ > 3600 else (MINE if id_ % 2 else MINE_TOO)
        harbour = id_ % 3 == 0 and feed != THEIRS
        title = "Harbour board meets" if harbour and (id_ <= 600 or id_ in HARBOUR_TITLES) else (
            "Council board meets")
        text = PLAIN_TEXT if harbour else PLAIN_TEXT.replace("harbour", "council")
        rows.append((id_, feed, title, text, seen_at(id_, total), None))
    await add_articles(database, rows)


def service(repositories: Repositories) -> SearchService:
    return SearchService(repositories, lambda: NOW)


async def test_a_broad_query_ranks_the_newest_matches_best_first_then_newest(
    database: Database, repositories: Repositories
) -> None:
    await broad_world(database)
    search = service(repositories)

    first = await search.search(GUILD, "harbour")
    second = await search.search(GUILD, "harbour", page=2)
    last = await search.search(GUILD, "harbour", page=COUNT_CAP // 5)

    assert first.total == COUNT_CAP and first.pages == COUNT_CAP // 5
    assert not first.newest_first and first.left_out == ()
    # The window is the 1,000 newest of the 1,200 matches (ids 603 to 3600): its title
    # matches come first, newest first among equals; the 200 old title matches are outside
    # it. Then the text-only matches, newest first.
    assert ids(first) == [3450, 3300, 3000, 3600, 3597]
    assert ids(second) == [3594, 3591, 3588, 3585, 3582]
    assert ids(last) == [615, 612, 609, 606, 603]
    text = describe_search_page(first)
    assert "**1000+** articles match **harbour** (page 1 of 200):" in text
    assert "Ranked among the 1000 newest matches." in text


async def test_a_narrow_query_ranks_every_match_however_old(
    database: Database, repositories: Repositories
) -> None:
    await broad_world(database)
    await add_articles(database, [
        (4001, MINE, "Lighthouse keeper retires", "a note on the lighthouse", 0.0, None),
        (4002, MINE_TOO, "Council board meets", "the lighthouse lamp was fixed today",
         NOW.timestamp() - 60, None),
    ])

    page = await service(repositories).search(GUILD, "lighthouse")

    assert page.total == 2
    assert ids(page) == [4001, 4002]  # the title match first, though decades older


async def test_words_in_most_articles_are_left_out_beside_other_words(
    database: Database, repositories: Repositories
) -> None:
    await broad_world(database)
    search = service(repositories)

    both = await search.search(GUILD, "the harbour")
    alone = await search.search(GUILD, "harbour")
    quoted = await search.search(GUILD, '"the harbour"')

    assert both.left_out == ("the",) and not both.newest_first
    assert ids(both) == ids(alone) and both.total == alone.total
    assert "Left out as too common (in most articles): the." in describe_search_page(both)
    assert quoted.left_out == () and quoted.total == COUNT_CAP  # a phrase keeps its words


async def test_a_query_of_only_common_words_lists_the_servers_newest_matches(
    database: Database, repositories: Repositories
) -> None:
    await broad_world(database)
    search = service(repositories)

    first = await search.search(GUILD, "the board")
    second = await search.search(GUILD, "the board", page=2)
    other = await search.search(OTHER_GUILD, "the")

    assert first.newest_first and first.left_out == ()
    assert first.total == COUNT_CAP
    assert ids(first) == [3600, 3599, 3598, 3597, 3596]  # never OTHER_GUILD's newer ones
    assert ids(second) == [3595, 3594, 3593, 3592, 3591]
    assert ids(other) == [3650, 3649, 3648, 3647, 3646] and other.total == 50
    assert "the newest matches come first" in describe_search_page(first)


async def test_only_common_words_with_days_and_a_subscription_list_the_newest_matches(
    database: Database, repositories: Repositories
) -> None:
    await broad_world(database)
    search = service(repositories)

    # First seen an hour apart, the newest of GUILD's (3600) 51 hours ago: the last 3 days
    # hold ids 3579-3600, of which subscription 1 (feed MINE) has the odd ones.
    recent = await search.search(GUILD, "the board", days=3)
    mine = await search.search(GUILD, "the board", days=3, subscription=1)

    assert recent.newest_first and recent.total == 22
    assert ids(recent) == [3600, 3599, 3598, 3597, 3596]
    assert mine.newest_first and mine.total == 11
    assert ids(mine) == [3599, 3597, 3595, 3593, 3591]


async def test_every_word_counts_until_enough_articles_are_stored(
    database: Database, repositories: Repositories
) -> None:
    await seed(database)
    await add_articles(database, [
        (id_, MINE, "Harbour board meets", PLAIN_TEXT, seen_at(id_, 20), None)
        for id_ in range(1, 21)
    ])

    page = await service(repositories).search(GUILD, "the harbour")

    assert page.left_out == () and not page.newest_first and page.total == 20


async def test_subscription_and_days_filters_are_exact(
    database: Database, repositories: Repositories
) -> None:
    await seed(database)
    now = NOW.timestamp()
    await add_articles(database, [
        (id_, MINE, "Council board meets", PLAIN_TEXT, seen_at(id_, 400), None)
        for id_ in range(10, 400)
    ])
    await add_articles(database, [
        # The lowest id, first seen 9 days ago; its date is moved to 5 days ago below.
        (1, MINE_TOO, "Ferry fares", "the ferry costs less", now - 9 * DAY, None),
        # First seen 40 days ago, published (dated) 2 days ago: inside the last 7 days,
        # with an id below every other article dated in them.
        (2, MINE, "Ferry timetable", "the ferry runs late", now - 40 * DAY, now - 2 * DAY),
        # First seen today, published 100 days ago: outside them.
        (3, MINE, "Ferry history", "the ferry turns 100", now - 60, now - 100 * DAY),
        (4, MINE_TOO, "Ferry fares", "the ferry costs more", now - 3 * DAY, None),
        (5, THEIRS, "Ferry news", "the ferry is elsewhere", now - DAY, None),
        (6, MINE, "Ferry news", "the ferry was late", now - 8 * DAY, None),
    ])
    # Reading an article can change its date afterwards (the story recorder updates it).
    async with database.transaction() as tx:
        await tx.execute("UPDATE articles SET published_at = ? WHERE id = 1", (now - 5 * DAY,))
    search = service(repositories)

    week = await search.search(GUILD, "ferry", days=7)
    everything = await search.search(GUILD, "ferry")
    one_feed = await search.search(GUILD, "ferry", subscription=2)
    one_feed_week = await search.search(GUILD, "ferry", subscription=1, days=7)

    assert sorted(ids(week)) == [1, 2, 4] and week.total == 3
    assert sorted(ids(everything)) == [1, 2, 3, 4, 6]
    assert sorted(ids(one_feed)) == [1, 4]
    assert ids(one_feed_week) == [2]


async def test_the_days_bound_covers_articles_stored_before_its_migration(
    tmp_path: Path,
) -> None:
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for number, migration in list_migrations(MIGRATIONS_DIR):
        if number < DAYS_MIGRATION:
            shutil.copy(migration, earlier / migration.name)
    path = tmp_path / "old.sqlite3"
    now = NOW.timestamp()
    old = await Database.open(path, migrations_dir=earlier)
    try:
        await seed(old)
        await add_articles(old, [
            (1, MINE, "Ferry timetable", "the ferry runs late", now - 40 * DAY, now - 2 * DAY),
            (2, MINE, "Ferry history", "the ferry sails", now - 3 * DAY, None),
        ])
    finally:
        await old.close()
    database = await Database.open(path)
    try:
        await add_articles(database, [(3, MINE, "Ferry news", "the ferry is new", now, None)])
        week = await service(Repositories.over(database)).search(GUILD, "ferry", days=7)
    finally:
        await database.close()

    assert sorted(ids(week)) == [1, 2, 3]
