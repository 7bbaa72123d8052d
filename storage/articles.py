"""Articles, the ingest transaction that turns new feed entries into outbox rows, and search.

Rules:
- An article and the outbox rows it causes (one per enabled subscription of its feed) are
  written in one transaction, together with the feed's new polling state. An entry already
  stored for the feed (same ``entry_key``) is never stored or queued again.
- A search scans the full-text index newest first (its rowid is the article id), narrowed
  inside the index to the server's feeds and, with a date filter, to ids from
  ``article_days``; it stops after the ``window`` newest matches, and only those are scored
  and sorted. Its cost follows the window, not how many articles contain a word; totals are
  counted up to ``window``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from bot.core.models import (
    Article,
    ArticleDetails,
    ArticleTrace,
    FeedCheck,
    NewArticle,
    Organization,
    OutboxState,
    PreviewedArticle,
    Quote,
    SearchHit,
)
from storage.database import Database, Row, Transaction, from_epoch, require_epoch, to_epoch
from storage.feeds import record_success_in
from storage.search_postgres import PostgresSearch

ARTICLE_COLUMNS = (
    "a.id, a.feed_id, a.entry_key, a.url, a.title, a.summary, a.author, a.image_url,"
    " a.published_at, a.first_seen_at, a.url_key, a.details, a.text, a.categories"
)
# A title match counts four times a text match, the summary twice; the feed token (which only
# narrows a search to a server's feeds) counts for nothing.
_SEARCH_RANK = "bm25(article_search, 4.0, 2.0, 1.0, 0.0)"
# What a member types is looked for in the article's words only: the feed_token column is
# the index's own (``f1`` is in every article of feed 1), never a thing to find.
_IN_TEXT = "{title summary text} :"


def details_to_json(details: ArticleDetails) -> str:
    """Encode an article's reading details as the ``details`` column stores them."""
    return json.dumps(details.to_json(), ensure_ascii=False)


def details_from_json(stored: str | None) -> ArticleDetails:
    """Decode the ``details`` column (NULL or ``{}`` before reading: empty details)."""
    decoded = json.loads(stored) if stored else {}
    if not isinstance(decoded, dict):
        return ArticleDetails()
    return ArticleDetails(
        canonical_url=decoded.get("canonical_url"),
        language=decoded.get("language"),
        people=tuple(str(name) for name in _listed(decoded, "people")),
        organizations=tuple(
            Organization(
                str(organization.get("name", "")),
                tuple(str(alias) for alias in _listed(organization, "aliases")),
            )
            for organization in _listed(decoded, "organizations")
            if isinstance(organization, dict)
        ),
        places=tuple(str(name) for name in _listed(decoded, "places")),
        quotes=tuple(
            Quote(quote.get("speaker"), quote.get("affiliation"), quote.get("text") or "")
            for quote in _listed(decoded, "quotes")
            if isinstance(quote, dict)
        ),
    )


def _listed(decoded: dict[str, object], key: str) -> list[object]:
    value = decoded.get(key)
    return value if isinstance(value, list) else []


def article_from_row(row: Row) -> Article:
    """Build an ``Article`` from a row selected with ``ARTICLE_COLUMNS``."""
    return Article(
        id=row["id"],
        feed_id=row["feed_id"],
        entry_key=row["entry_key"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        author=row["author"],
        image_url=row["image_url"],
        published_at=from_epoch(row["published_at"]),
        first_seen_at=require_epoch(row["first_seen_at"]),
        url_key=row["url_key"],
        details=details_from_json(row["details"]),
        text=row["text"],
        categories=tuple(row["categories"].split("\n")) if row["categories"] else (),
    )


async def insert_articles_and_queue(
    tx: Transaction, feed_id: int, articles: Sequence[NewArticle], now: datetime
) -> tuple[int, list[int]]:
    """Store the entries not yet known for the feed and queue them for every subscriber.

    Returns the number of new articles and the ids of the outbox rows created. Must run
    inside an open transaction.
    """
    new_articles = 0
    outbox_ids: list[int] = []
    for article in articles:
        async with tx.execute(
            "INSERT INTO articles (feed_id, entry_key, url, title, summary, author, image_url,"
            " published_at, first_seen_at, url_key, categories)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (feed_id, entry_key) DO NOTHING RETURNING id",
            (
                feed_id,
                article.entry_key,
                article.url,
                article.title,
                article.summary,
                article.author,
                article.image_url,
                to_epoch(article.published_at),
                to_epoch(now),
                article.url_key,
                "\n".join(article.categories) or None,
            ),
        ) as cursor:
            inserted = await cursor.fetchone()
        if inserted is None:
            continue
        new_articles += 1
        async with tx.execute(
            "INSERT INTO outbox (guild_id, channel_id, subscription_id, article_id,"
            " next_attempt_at, created_at, state)"
            " SELECT guild_id, channel_id, id, ?, ?, ?, 'waiting' FROM subscriptions"
            " WHERE feed_id = ? AND enabled = 1 AND paused_at IS NULL ORDER BY id"
            " ON CONFLICT (channel_id, article_id) DO NOTHING RETURNING id",
            (inserted[0], to_epoch(now), to_epoch(now), feed_id),
        ) as cursor:
            outbox_ids.extend(int(row[0]) for row in await cursor.fetchall())
    return new_articles, outbox_ids


class ArticleRepository:
    """Article storage and the per-poll ingest transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database
        # Full-text search is the one part written twice: FTS5 here, tsvector on PostgreSQL.
        self._postgres_search = (
            PostgresSearch(database, ARTICLE_COLUMNS, article_from_row)
            if database.dialect.is_postgres else None
        )

    async def recent_entry_keys(self, feed_id: int, limit: int) -> frozenset[str]:
        """The entry keys of the feed's ``limit`` most recently stored articles: a poll need
        not clean the text of entries it already stored (``ingest`` skips them)."""
        rows = await self._db.fetch_all(
            "SELECT entry_key FROM articles WHERE feed_id = ? ORDER BY id DESC LIMIT ?",
            (feed_id, limit),
        )
        return frozenset(str(row["entry_key"]) for row in rows)

    async def ingest(
        self, feed_id: int, articles: Sequence[NewArticle], check: FeedCheck, now: datetime
    ) -> list[int]:
        """Record a successful check: new articles, their outbox rows, the feed's new state.

        Returns the ids of the outbox rows created, in the order they should be delivered.
        """
        async with self._db.transaction() as tx:
            _, outbox_ids = await insert_articles_and_queue(tx, feed_id, articles, now)
            await record_success_in(tx, feed_id, now, check.recovery_notice)
            await tx.execute(
                "UPDATE feeds SET title = ?, site_url = ?, etag = ?, last_modified = ?,"
                " icon_url = ?, body_sha256 = ?, next_check_at = ?, claimed_until = NULL"
                " WHERE id = ?",
                (
                    check.title,
                    check.site_url,
                    check.etag,
                    check.last_modified,
                    check.icon_url,
                    check.body_sha256,
                    to_epoch(check.next_check_at),
                    feed_id,
                ),
            )
        return outbox_ids

    async def latest_for_feed(self, feed_id: int, limit: int) -> list[tuple[Article, str]]:
        """Return the feed's most recent articles (by publish, else first-seen time) with the
        feed's title."""
        rows = await self._db.fetch_all(
            f"SELECT {ARTICLE_COLUMNS}, f.title AS feed_title FROM articles a"
            " JOIN feeds f ON f.id = a.feed_id WHERE a.feed_id = ?"
            " ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC, a.id DESC LIMIT ?",
            (feed_id, limit),
        )
        return [(article_from_row(row), row["feed_title"]) for row in rows]

    async def latest_for_guild(self, guild_id: int, limit: int) -> list[tuple[Article, str]]:
        """Return the most recent articles of every feed a server follows, with feed titles."""
        rows = await self._db.fetch_all(
            f"SELECT {ARTICLE_COLUMNS}, f.title AS feed_title FROM articles a"
            " JOIN feeds f ON f.id = a.feed_id WHERE a.feed_id IN"
            " (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"
            " ORDER BY a.first_seen_at DESC, a.id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [(article_from_row(row), row["feed_title"]) for row in rows]

    async def delivery_preview(
        self, feed_id: int, channel_id: int, limit: int
    ) -> list[PreviewedArticle]:
        """Return the feed's latest articles (by publish, else first-seen time) with their
        delivery in ``channel_id`` and any post of their story there from another article."""
        rows = await self._db.fetch_all(
            f"SELECT {ARTICLE_COLUMNS}, o.state, o.failure, o.message_id,"
            " (SELECT p.message_id FROM outbox p JOIN articles b ON b.id = p.article_id"
            "  WHERE p.channel_id = ? AND p.state = 'sent' AND a.story_id IS NOT NULL"
            "  AND b.story_id = a.story_id AND b.id <> a.id ORDER BY p.id LIMIT 1)"
            " AS story_message_id"
            " FROM articles a LEFT JOIN outbox o ON o.article_id = a.id AND o.channel_id = ?"
            " WHERE a.feed_id = ?"
            " ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC, a.id DESC LIMIT ?",
            (channel_id, channel_id, feed_id, limit),
        )
        return [
            PreviewedArticle(
                article=article_from_row(row),
                outbox_state=OutboxState(row["state"]) if row["state"] else None,
                failure=row["failure"],
                message_id=row["message_id"],
                story_message_id=row["story_message_id"],
            )
            for row in rows
        ]

    async def traces_for_guild(self, guild_id: int, url_key: str) -> list[ArticleTrace]:
        """Return what became of the article at ``url_key`` for each of a server's feeds."""
        rows = await self._db.fetch_all(
            "SELECT a.id AS article_id, a.title, a.url, f.title AS feed_title, a.first_seen_at,"
            " s.id AS subscription_id, s.channel_id, s.created_at AS subscription_created_at,"
            " s.enabled, s.paused_at, s.resumed_at, o.state, o.message_id, o.failure,"
            " (SELECT p.message_id FROM outbox p WHERE p.channel_id = o.channel_id"
            "  AND p.story_id = o.story_id AND p.state = 'sent' ORDER BY p.id LIMIT 1)"
            " AS story_message_id"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id"
            " JOIN subscriptions s ON s.feed_id = a.feed_id AND s.guild_id = ?"
            " LEFT JOIN outbox o ON o.article_id = a.id AND o.channel_id = s.channel_id"
            " WHERE a.url_key = ? ORDER BY a.first_seen_at, s.id",
            (guild_id, url_key),
        )
        return [
            ArticleTrace(
                article_id=row["article_id"],
                title=row["title"],
                url=row["url"],
                feed_title=row["feed_title"],
                first_seen_at=require_epoch(row["first_seen_at"]),
                subscription_id=row["subscription_id"],
                channel_id=row["channel_id"],
                subscription_created_at=require_epoch(row["subscription_created_at"]),
                subscription_enabled=bool(row["enabled"]),
                paused_at=from_epoch(row["paused_at"]),
                resumed_at=from_epoch(row["resumed_at"]),
                outbox_state=OutboxState(row["state"]) if row["state"] else None,
                message_id=row["message_id"],
                failure=row["failure"],
                story_message_id=row["story_message_id"],
            )
            for row in rows
        ]

    async def _feed_scope(self, guild_id: int, feed_id: int | None) -> str | None:
        """Return the FTS5 clause that keeps a search to the server's feeds (or one of them);
        None when the server follows no feed."""
        if feed_id is not None:
            ids = [feed_id]
        else:
            rows = await self._db.fetch_all(
                "SELECT DISTINCT feed_id FROM subscriptions WHERE guild_id = ?", (guild_id,)
            )
            ids = [int(row[0]) for row in rows]
        if not ids:
            return None
        return "feed_token : (" + " OR ".join(f"f{feed}" for feed in ids) + ")"

    async def common_shares(self, phrases: Sequence[str], sample: int) -> list[float] | None:
        """Return the share of the newest ``sample`` articles (all feeds) that contain each
        FTS5 phrase; None while fewer than ``sample`` articles are stored.

        Counting only the newest few keeps this cheap whatever the size of the index (a
        word's whole doclist may hold every article).
        """
        if self._postgres_search is not None:
            return await self._postgres_search.common_shares(phrases, sample)
        if not phrases:
            return []
        counts = "".join(
            f", (SELECT COUNT(*) FROM article_search WHERE article_search MATCH :p{index}"
            " AND article_search.rowid >= oldest.id)"
            for index in range(len(phrases))
        )
        row = await self._db.fetch_one(
            "WITH oldest AS (SELECT id FROM articles ORDER BY id DESC LIMIT 1 OFFSET :skip)"
            f" SELECT 1{counts} FROM oldest",
            {"skip": sample - 1,
             **{f"p{index}": f"{_IN_TEXT} ({phrase})" for index, phrase in enumerate(phrases)}},
        )
        if row is None:
            return None
        return [int(row[index + 1]) / sample for index in range(len(phrases))]

    async def search(
        self, guild_id: int, query: str, *, ranked: bool, feed_id: int | None,
        since: datetime | None, limit: int, offset: int, window: int,
    ) -> tuple[int, list[SearchHit]]:
        """Return how many of the server's articles match an FTS5 ``query`` (counted up to
        ``window``) and one page of them with snippets.

        Only the newest ``window`` matches are ranked: best BM25 first (title 4, summary 2,
        text 1), equal scores newest first; unranked (``ranked=False``), newest first.

        The server's feeds narrow the match inside the index (their feed tokens) and
        ``since`` becomes a lower bound on the article id (``article_days``), so the index
        is scanned newest first and only as far back as needed; nothing older than the
        ``window`` newest matches is read, scored or sorted.
        """
        if self._postgres_search is not None:
            return await self._postgres_search.search(
                guild_id, query, ranked=ranked, feed_id=feed_id, since=since, limit=limit,
                offset=offset, window=window,
            )
        scope = await self._feed_scope(guild_id, feed_id)
        if scope is None:
            return 0, []
        score = _SEARCH_RANK if ranked else "0.0"
        dated = (
            " JOIN articles a ON a.id = article_search.rowid"
            " WHERE article_search MATCH :match"
            " AND article_search.rowid >= (SELECT COALESCE(MIN(first_id), 0) FROM article_days"
            "  WHERE day >= CAST(:since / 86400 AS INTEGER))"
            " AND COALESCE(a.published_at, a.first_seen_at) >= :since"
        ) if since is not None else " WHERE article_search MATCH :match"
        found = await self._db.fetch_one(
            "WITH matches AS MATERIALIZED (SELECT article_search.rowid AS id,"
            f" {score} AS score FROM article_search{dated}"
            " ORDER BY article_search.rowid DESC LIMIT :window)"
            " SELECT (SELECT COUNT(*) FROM matches) AS total, (SELECT json_group_array(id)"
            " FROM (SELECT id FROM matches ORDER BY score, id DESC LIMIT :limit OFFSET :offset))"
            " AS ids",
            {"match": f"{_IN_TEXT} ({query}) AND {scope}", "since": to_epoch(since),
             "window": window,
             "limit": limit, "offset": offset},
        )
        if found is None or not found["total"]:
            return 0, []
        ids = [int(value) for value in json.loads(found["ids"])]
        if not ids:
            return int(found["total"]), []
        # The ids are the server's already: the query alone (without the feed tokens) is
        # enough to find the passage to show, and snippets are made for the page only.
        rows = await self._db.fetch_all(
            f"SELECT {ARTICLE_COLUMNS}, f.title AS feed_title,"
            " COALESCE(NULLIF(snippet(article_search, 2, '**', '**', '…', 24), ''),"
            " snippet(article_search, 1, '**', '**', '…', 24)) AS snippet"
            " FROM article_search JOIN articles a ON a.id = article_search.rowid"
            " JOIN feeds f ON f.id = a.feed_id WHERE article_search MATCH :query"
            " AND article_search.rowid IN (SELECT value FROM json_each(:ids))",
            {"query": f"{_IN_TEXT} ({query})", "ids": json.dumps(ids)},
        )
        by_id = {int(row["id"]): row for row in rows}
        return int(found["total"]), [
            SearchHit(article_from_row(by_id[id_]), by_id[id_]["feed_title"],
                      by_id[id_]["snippet"] or "")
            for id_ in ids if id_ in by_id
        ]

    async def daily_counts(self, guild_id: int, query: str, since: datetime) -> dict[date, int]:
        """Count the server's articles matching ``query`` per UTC day since ``since``."""
        if self._postgres_search is not None:
            return await self._postgres_search.daily_counts(guild_id, query, since)
        scope = await self._feed_scope(guild_id, None)
        if scope is None:
            return {}
        rows = await self._db.fetch_all(
            "SELECT date(a.first_seen_at, 'unixepoch') AS day, COUNT(*) AS mentions"
            " FROM article_search JOIN articles a ON a.id = article_search.rowid"
            " WHERE article_search MATCH ? AND a.first_seen_at >= ? GROUP BY day",
            (f"{_IN_TEXT} ({query}) AND {scope}", to_epoch(since)),
        )
        return {date.fromisoformat(row["day"]): int(row["mentions"]) for row in rows}

    async def recent_with_quotes(
        self, guild_id: int, since: datetime, limit: int
    ) -> list[tuple[Article, str]]:
        """Return the server's recent articles that carry quotations, newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {ARTICLE_COLUMNS}, f.title AS feed_title FROM articles a"
            " JOIN feeds f ON f.id = a.feed_id WHERE a.first_seen_at >= ?"
            " AND a.details LIKE '%\"speaker\"%' AND a.feed_id IN"
            " (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"
            " ORDER BY a.first_seen_at DESC LIMIT ?",
            (to_epoch(since), guild_id, limit),
        )
        return [(article_from_row(row), row["feed_title"]) for row in rows]

    async def get_for_guild(self, guild_id: int, article_id: int) -> Article | None:
        """Return an article only if one of the server's feeds carried it."""
        row = await self._db.fetch_one(
            f"SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = ? AND EXISTS"
            " (SELECT 1 FROM subscriptions s WHERE s.feed_id = a.feed_id AND s.guild_id = ?)",
            (article_id, guild_id),
        )
        return None if row is None else article_from_row(row)

    async def get_with_feed(self, article_id: int) -> tuple[Article, str, str | None] | None:
        """Return an article with its feed's title and site URL."""
        row = await self._db.fetch_one(
            f"SELECT {ARTICLE_COLUMNS}, f.title AS feed_title, f.site_url AS feed_site_url"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?",
            (article_id,),
        )
        if row is None:
            return None
        return article_from_row(row), row["feed_title"], row["feed_site_url"]

    async def count_seen_since(self, feed_id: int, since: datetime) -> int:
        """Return how many of the feed's articles were first seen at or after ``since``."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM articles WHERE feed_id = ? AND first_seen_at >= ?",
            (feed_id, to_epoch(since)),
        )
        return 0 if row is None else int(row[0])

    async def count_for_feed(self, feed_id: int) -> int:
        """Return how many articles are stored for the feed."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM articles WHERE feed_id = ?", (feed_id,)
        )
        return 0 if row is None else int(row[0])
