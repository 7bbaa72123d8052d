"""Full-text search on PostgreSQL, with the same rules as SQLite's FTS5 search.

Rules (those of ``storage.articles``, in PostgreSQL's words):
- Queries arrive as FTS5 phrases (``"harbour" "city council"``, built by the search
  feature): every phrase must match, each becomes ``phraseto_tsquery``, ANDed.
- Each article has a narrow row in ``article_search`` (kept by triggers): its feed, date,
  first-seen time and ``document``, a tsvector of its title (weight A), summary (B) and text
  (C) folded like SQLite's ``unicode61 remove_diacritics``, with one ``feed:<id>`` lexeme
  (D). A ranked search ANDs its words with its feeds' lexemes, so the GIN index intersects
  them before any row is read, and takes the newest ``window`` matches ``ORDER BY
  article_id + 0 DESC``: the ``+ 0`` keeps the planner on the bitmap (on the bare key it
  scans backwards, filtering every row, which is seconds when matches are rare). Only those
  are ranked: ``ts_rank`` with title 1.0, summary 0.5, text 0.25 (SQLite's 4 : 2 : 1) and
  the feed lexeme 0; equal scores newest first.
- An unranked search (every word in most articles) with no days bound lists the newest
  matches: each of the server's feeds is read newest first on ``(feed_id, article_id)`` and
  the feeds are merged, so about ``window`` rows are read instead of every match.
- A ``since`` bound becomes a lower bound on the id from ``article_days``, as on SQLite,
  applied through ``(feed_id, article_id)`` as a bitmap ANDed with the words' bitmap (at 1M
  articles a stop word over 30 days: 10.6 ms this way, 19.5 ms filtering the words' bitmap,
  31.6 ms merging the feeds' newest rows, each of which reads its out-of-line vector).
- Only the page's articles are read from ``articles`` (with ``ts_headline`` snippets).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime

from bot.core.models import Article, SearchHit
from storage.database import Database, Row, to_epoch

_PHRASE = re.compile(r'"((?:[^"]|"")*)"')
_RANK_WEIGHTS = "{0.0, 0.25, 0.5, 1.0}"  # D (the feed lexeme), C (text), B (summary), A (title)
_HEADLINE = "StartSel=**, StopSel=**, MaxWords=24, MinWords=12, ShortWord=0"
# The index's text search configuration (the baseline migration makes it).
_CONFIG = "newsdesk_search"


def fts5_phrases(query: str) -> list[str]:
    """Return the phrases of an FTS5 query made only of quoted phrases.

    Raises:
        ValueError: the query holds anything but quoted phrases (the search feature
            never builds one).
    """
    phrases = [found.replace('""', '"') for found in _PHRASE.findall(query)]
    if _PHRASE.sub("", query).strip() or not phrases:
        raise ValueError(f"not a list of FTS5 phrases: {query!r}")
    return phrases


def _words(phrases: Sequence[str], prefix: str = "w") -> tuple[str, dict[str, str]]:
    """Return the tsquery that needs every phrase, and its named parameters."""
    sql = " && ".join(
        f"phraseto_tsquery('{_CONFIG}', :{prefix}{index})" for index in range(len(phrases))
    )
    return f"({sql})", {f"{prefix}{index}": phrase for index, phrase in enumerate(phrases)}


def _feeds_query(feed_ids: Sequence[int]) -> str:
    """Return the tsquery text matching any of the feeds' lexemes."""
    return " | ".join(f"'feed:{int(feed)}'" for feed in feed_ids)


class PostgresSearch:
    """``/search``, ``/trend`` counts and the too-common-word sample on PostgreSQL."""

    def __init__(
        self, database: Database, article_columns: str,
        article_from_row: Callable[[Row], Article],
    ) -> None:
        self._db = database
        self._columns = article_columns
        self._article = article_from_row

    async def _feed_ids(self, guild_id: int, feed_id: int | None) -> list[int]:
        if feed_id is not None:
            return [feed_id]
        rows = await self._db.fetch_all(
            "SELECT DISTINCT feed_id FROM subscriptions WHERE guild_id = ?", (guild_id,)
        )
        return [int(row[0]) for row in rows]

    async def common_shares(self, phrases: Sequence[str], sample: int) -> list[float] | None:
        """Return the share of the newest ``sample`` articles (all feeds) that contain each
        FTS5 phrase; None while fewer than ``sample`` articles are stored."""
        if not phrases:
            return []
        tsqueries = [fts5_phrases(phrase) for phrase in phrases]
        counts = "".join(
            f", COUNT(*) FILTER (WHERE document @@ {_words(words, f'p{index}_')[0]})"
            for index, words in enumerate(tsqueries)
        )
        parameters: dict[str, object] = {"sample": sample}
        for index, words in enumerate(tsqueries):
            parameters.update(_words(words, f"p{index}_")[1])
        row = await self._db.fetch_one(
            f"SELECT COUNT(*){counts} FROM (SELECT document FROM article_search"
            " ORDER BY article_id DESC LIMIT :sample) AS newest",
            parameters,
        )
        if row is None or int(row[0]) < sample:
            return None
        return [int(row[index + 1]) / sample for index in range(len(phrases))]

    async def search(
        self, guild_id: int, query: str, *, ranked: bool, feed_id: int | None,
        since: datetime | None, limit: int, offset: int, window: int,
    ) -> tuple[int, list[SearchHit]]:
        """Return how many of the server's articles match ``query`` (counted up to
        ``window``) and one page of them with snippets (see the module's rules)."""
        feeds = await self._feed_ids(guild_id, feed_id)
        if not feeds:
            return 0, []
        words, parameters = _words(fts5_phrases(query))
        lowest = (
            "(SELECT COALESCE(MIN(first_id), 0) FROM article_days"
            " WHERE day >= CAST(floor(CAST(:since AS DOUBLE PRECISION) / 86400) AS BIGINT))"
        )
        dates = {} if since is None else {"since": to_epoch(since)}
        if ranked or since is not None or not await self._many_in_scope(feeds, 2 * window):
            # A days bound enters as a second bitmap: the server's feeds from the lowest id
            # of those days on (feed_id, article_id), ANDed with the words' bitmap, so only
            # rows matching both are read. (Never the primary key alone: walked backwards it
            # tests every article of the days against the words.)
            dated = (
                f" AND s.feed_id = ANY(:feed_ids) AND s.article_id >= {lowest}"
                " AND s.dated_at >= :since"
            ) if since is not None else ""
            matches = (
                "SELECT s.article_id AS id FROM article_search s"
                f" WHERE s.document @@ ({words} && CAST(:feeds AS tsquery)){dated}"
                " ORDER BY s.article_id + 0 DESC LIMIT :window"
            )
            page = (
                f"SELECT m.id, ts_rank('{_RANK_WEIGHTS}', s.document, {words}) AS score"
                " FROM matches m JOIN article_search s ON s.article_id = m.id"
            ) if ranked else "SELECT id, 0.0 AS score FROM matches"
            feed_parameters: dict[str, object] = {"feeds": _feeds_query(feeds)}
            if since is not None:
                feed_parameters["feed_ids"] = list(feeds)
        else:
            newest_of_each_feed = " UNION ALL ".join(
                f"(SELECT s.article_id AS id FROM article_search s WHERE s.feed_id = :f{index}"
                f" AND s.document @@ {words} ORDER BY s.article_id DESC LIMIT :window)"
                for index in range(len(feeds))
            )
            matches = (
                f"SELECT id FROM ({newest_of_each_feed}) AS newest ORDER BY id DESC LIMIT :window"
            )
            # The page is the newest matches: no document is read again to score it.
            page = "SELECT id, 0.0 AS score FROM matches"
            feed_parameters = {f"f{index}": feed for index, feed in enumerate(feeds)}
        found = await self._db.fetch_one(
            f"WITH matches AS MATERIALIZED ({matches}),"
            f" page AS ({page} ORDER BY score DESC, id DESC LIMIT :limit OFFSET :offset)"
            " SELECT (SELECT COUNT(*) FROM matches) AS total,"
            " (SELECT array_agg(id ORDER BY score DESC, id DESC) FROM page) AS ids",
            {**parameters, **feed_parameters, **dates, "window": window, "limit": limit,
             "offset": offset},
        )
        if found is None or not found["total"]:
            return 0, []
        ids = [int(value) for value in found["ids"] or []]
        if not ids:
            return int(found["total"]), []
        rows = await self._db.fetch_all(
            f"SELECT {self._columns}, f.title AS feed_title,"
            f" COALESCE(NULLIF(ts_headline('{_CONFIG}', COALESCE(a.text, ''), {words},"
            f" '{_HEADLINE}'), ''), ts_headline('{_CONFIG}', a.summary, {words},"
            f" '{_HEADLINE}')) AS snippet"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = ANY(:ids)",
            {**parameters, "ids": ids},
        )
        by_id = {int(row["id"]): row for row in rows}
        return int(found["total"]), [
            SearchHit(self._article(by_id[id_]), by_id[id_]["feed_title"],
                      by_id[id_]["snippet"] or "")
            for id_ in ids if id_ in by_id
        ]

    async def _many_in_scope(self, feeds: Sequence[int], cap: int) -> bool:
        """Return whether the feeds hold at least ``cap`` articles.

        Decides how an unranked search reads. Merging each feed's newest rows reads about
        ``window`` of them (fewer with a days bound) but tests each one's words, stored out
        of line; the GIN bitmap tests none, but its cost follows the feeds' whole posting
        lists, whatever the days. For a few thousand articles the bitmap is cheaper.
        """
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM (SELECT 1 FROM article_search WHERE feed_id = ANY(:feed_ids)"
            " LIMIT :cap) AS scope",
            {"feed_ids": list(feeds), "cap": cap},
        )
        return row is not None and int(row[0]) >= cap

    async def daily_counts(self, guild_id: int, query: str, since: datetime) -> dict[date, int]:
        """Count the server's articles matching ``query`` per UTC day since ``since``."""
        feeds = await self._feed_ids(guild_id, None)
        if not feeds:
            return {}
        words, parameters = _words(fts5_phrases(query))
        rows = await self._db.fetch_all(
            "SELECT CAST(to_timestamp(s.first_seen_at) AT TIME ZONE 'UTC' AS date) AS day,"
            " COUNT(*) AS mentions FROM article_search s"
            f" WHERE s.document @@ ({words} && CAST(:feeds AS tsquery))"
            " AND s.first_seen_at >= :since GROUP BY day",
            {**parameters, "feeds": _feeds_query(feeds), "since": to_epoch(since)},
        )
        return {row["day"]: int(row["mentions"]) for row in rows}
