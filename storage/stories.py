"""Reading articles and grouping them into stories: the readers' and the story desk's storage.

Rules:
- An article is decided once (``enriched_at`` set): its story and the fate of its waiting
  outbox rows are recorded in one transaction, which refuses an article already decided.
  In one process (role ``all``) its reading is stored in that same transaction
  (``record_reading``).
- Past one process, readers claim unread articles for a while (``claim_unread``: ``SKIP
  LOCKED`` on PostgreSQL, and a lease, ``reading_by`` until ``reading_until``, so a reader
  killed in the middle leaves the article to another once the lease has passed), store the
  reading (``store_reading``: ``read_at`` set, only while the claim is still theirs), and the
  story desk decides what was read in arrival order (``awaiting_desk``, ``record_decision``).
- A leader's decision runs ``check_fence`` first: a stale desk's writes are refused.
- For each waiting row: if the subscription suppresses copies (the default) and its story
  already has a post queued or sent in that channel, the row is ``skipped`` (with the post it
  joins) and that post is flagged for a refresh (its "also reported by" grows); otherwise the
  row becomes ``pending``.
- Stories are looked up within a window (``since``): an old story never swallows new news.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.models import ArticleReading, AwaitingDesk, Story, StorySource, UnreadArticle
from storage.articles import (
    ARTICLE_COLUMNS,
    article_from_row,
    details_from_json,
    details_to_json,
)
from storage.database import Database, Row, Transaction, from_epoch, require_epoch, to_epoch
from storage.leases import Fence, check_fence

_SOURCE_COLUMNS = (
    "a.id, a.title, a.url, a.url_key, f.title AS feed_title, f.site_url AS feed_site_url,"
    " a.first_seen_at, a.published_at, a.original_url"
)


_UNREAD_COLUMNS = (
    f"{ARTICLE_COLUMNS}, f.title AS feed_title, EXISTS (SELECT 1 FROM outbox o"
    " WHERE o.article_id = a.id AND o.state = 'waiting') AS waiting,"
    " a.read_attempts, a.read_failure"
)
# What a reading sets on its article (``_reading_values`` gives the values, in this order).
_READING_SET = (
    "title = ?, summary = ?, author = ?, published_at = ?, image_url = ?, original_url = ?,"
    " original_publisher = ?, fingerprint = ?, details = ?, text = ?"
)


class AlreadyDecided(Exception):
    """The article was decided by someone else meanwhile: nothing of this decision is kept."""


def _unread_from_row(row: Row) -> UnreadArticle:
    return UnreadArticle(
        article_from_row(row), row["feed_title"], bool(row["waiting"]),
        read_attempts=int(row["read_attempts"]), read_failure=row["read_failure"],
    )


def _reading_values(reading: ArticleReading) -> tuple[object, ...]:
    return (
        reading.title, reading.summary, reading.author, to_epoch(reading.published_at),
        reading.image_url, reading.original_url, reading.original_publisher,
        reading.fingerprint, details_to_json(reading.details), reading.text,
    )


def _source_from_row(row: Row) -> StorySource:
    return StorySource(
        article_id=row["id"],
        title=row["title"],
        url=row["url"],
        url_key=row["url_key"],
        feed_title=row["feed_title"],
        feed_site_url=row["feed_site_url"],
        first_seen_at=require_epoch(row["first_seen_at"]),
        published_at=from_epoch(row["published_at"]),
        original_url=row["original_url"],
    )


class StoryRepository:
    """Unread articles, fingerprints, stories and the outbox decisions they cause."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def unread(self, limit: int, exclude: Sequence[int] = ()) -> list[UnreadArticle]:
        """Return up to ``limit`` undecided articles, oldest first, skipping ``exclude``.

        One process (role ``all``) reads this way: it is the only reader, so it takes every
        undecided article, even one a reader process claimed or read before.
        """
        # "NOT IN (NULL)" is never true, so an empty exclusion list must drop the clause.
        excluded, excluded_ids = (
            self._db.dialect.not_in_list("a.id", exclude) if exclude else ("", [])
        )
        excluded = f" AND {excluded}" if exclude else ""
        rows = await self._db.fetch_all(
            f"SELECT {_UNREAD_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id"
            f" WHERE a.enriched_at IS NULL{excluded}"
            " ORDER BY a.first_seen_at, a.id LIMIT ?",
            [*excluded_ids, limit],
        )
        return [_unread_from_row(row) for row in rows]

    async def claim_unread(
        self, limit: int, holder: str, lease_seconds: float
    ) -> list[UnreadArticle]:
        """Claim for ``holder``, for ``lease_seconds`` of the database's clock, up to
        ``limit`` unread articles, oldest first, that no reader holds (or whose reader's
        lease has passed); return them."""
        now = self._db.dialect.epoch_now()
        skip_locked = self._db.dialect.skip_locked("articles")
        async with self._db.transaction() as tx:
            async with tx.execute(
                f"UPDATE articles SET reading_by = ?, reading_until = {now} + ? WHERE id IN ("
                " SELECT id FROM articles WHERE enriched_at IS NULL AND read_at IS NULL"
                f" AND (reading_until IS NULL OR reading_until <= {now})"
                f" ORDER BY first_seen_at, id LIMIT ?{skip_locked}) RETURNING id",
                (holder, lease_seconds, limit),
            ) as cursor:
                claimed = [int(row[0]) for row in await cursor.fetchall()]
            if not claimed:
                return []
            among, ids = self._db.dialect.in_list("a.id", claimed)
            async with tx.execute(
                f"SELECT {_UNREAD_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id"
                f" WHERE {among} ORDER BY a.first_seen_at, a.id",
                ids,
            ) as cursor:
                return [_unread_from_row(row) for row in await cursor.fetchall()]

    async def release_claims(self, article_ids: Sequence[int], holder: str) -> None:
        """Give back claims ``holder`` did not begin reading (a stop): claimable at once."""
        if not article_ids:
            return
        among, ids = self._db.dialect.in_list("id", article_ids)
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE articles SET reading_by = NULL, reading_until = NULL"
                f" WHERE {among} AND reading_by = ?",
                [*ids, holder],
            )

    async def begin_reading(self, article_id: int) -> int:
        """Count one more attempt to read an article, before it starts (so an attempt the
        process never finishes counts too); return the attempts so far, this one included."""
        async with self._db.transaction() as tx, tx.execute(
            "UPDATE articles SET read_attempts = read_attempts + 1 WHERE id = ?"
            " RETURNING read_attempts",
            (article_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return 0 if row is None else int(row[0])

    async def give_back_reading(self, article_id: int, holder: str | None = None) -> None:
        """Uncount an attempt that was stopped from outside (a shutdown), not by the article;
        with ``holder``, only while it still holds the article, and release its claim."""
        attempts = self._db.dialect.greatest("read_attempts - 1", "0")
        held = " AND reading_by = ?" if holder is not None else ""
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE articles SET read_attempts = {attempts}, reading_by = NULL,"
                " reading_until = NULL WHERE id = ? AND enriched_at IS NULL" + held,
                (article_id,) + ((holder,) if holder is not None else ()),
            )

    async def record_read_failure(
        self, article_id: int, reason: str, *, holder: str | None = None,
        retry_seconds: float = 0.0,
    ) -> None:
        """Keep why the last attempt to read an article failed (it will be tried again); with
        ``holder``, release its claim, leaving the article to any reader after
        ``retry_seconds`` (of the database's clock)."""
        async with self._db.transaction() as tx:
            if holder is None:
                await tx.execute(
                    "UPDATE articles SET read_failure = ? WHERE id = ?", (reason, article_id)
                )
                return
            await tx.execute(
                "UPDATE articles SET read_failure = ?, reading_by = NULL,"
                f" reading_until = {self._db.dialect.epoch_now()} + ?"
                " WHERE id = ? AND reading_by = ?",
                (reason, retry_seconds, article_id, holder),
            )

    async def store_reading(
        self, article_id: int, reading: ArticleReading, holder: str, now: datetime
    ) -> bool:
        """Store a reader's reading for the story desk and mark the article read; return
        False (storing nothing) when ``holder`` no longer holds it: its claim passed to
        another reader, or the article was decided meanwhile."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE articles SET read_at = ?, reading_by = NULL, reading_until = NULL,"
                f" {_READING_SET} WHERE id = ? AND reading_by = ? AND read_at IS NULL"
                " AND enriched_at IS NULL",
                (to_epoch(now), *_reading_values(reading), article_id, holder),
            )
            return cursor.rowcount > 0

    async def awaiting_desk(self, limit: int) -> list[AwaitingDesk]:
        """Return up to ``limit`` articles read and not decided yet, in arrival order."""
        rows = await self._db.fetch_all(
            f"SELECT {_UNREAD_COLUMNS}, a.original_url, a.original_publisher, a.fingerprint"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id"
            " WHERE a.read_at IS NOT NULL AND a.enriched_at IS NULL"
            " ORDER BY a.first_seen_at, a.id LIMIT ?",
            (limit,),
        )
        return [
            AwaitingDesk(
                _unread_from_row(row), original_url=row["original_url"],
                original_publisher=row["original_publisher"],
                fingerprint=None if row["fingerprint"] is None else bytes(row["fingerprint"]),
            )
            for row in rows
        ]

    async def send_back_reading(
        self, article_id: int, reason: str, *, fence: Fence | None = None
    ) -> None:
        """Undo a stored reading the desk could not decide (that attempt failed): the article
        is unread again, for a reader's next attempt.

        Raises:
            LeadershipLost: ``fence`` is no longer the desk's lease; nothing was written.
        """
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE articles SET read_at = NULL, read_failure = ? WHERE id = ?"
                " AND enriched_at IS NULL",
                (reason, article_id),
            )

    async def give_up_reading(
        self, article_id: int, reason: str, now: datetime, *, fence: Fence | None = None
    ) -> int:
        """Stop trying to read an article: mark it read (with no story) and fail its waiting
        posts with ``reason``, so its channels move on; return how many posts failed.

        Raises:
            LeadershipLost: ``fence`` is no longer the desk's lease; nothing was written.
        """
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            given_up = await tx.execute(
                "UPDATE articles SET enriched_at = ?, read_failure = ?, reading_by = NULL,"
                " reading_until = NULL WHERE id = ? AND enriched_at IS NULL",
                (to_epoch(now), reason, article_id),
            )
            if given_up.rowcount == 0:
                return 0  # decided (or given up) meanwhile: its posts are not ours to fail
            cursor = await tx.execute(
                "UPDATE outbox SET state = 'failed', failure = ? WHERE article_id = ?"
                " AND state = 'waiting'",
                (reason, article_id),
            )
            return cursor.rowcount

    async def fingerprints_since(self, since: datetime) -> list[tuple[int, bytes]]:
        """Return the stored fingerprints of articles first seen since ``since`` and decided
        (an article read but not decided yet is no one's copy so far)."""
        rows = await self._db.fetch_all(
            "SELECT id, fingerprint FROM articles WHERE first_seen_at >= ?"
            " AND fingerprint IS NOT NULL AND story_id IS NOT NULL ORDER BY id",
            (to_epoch(since),),
        )
        return [(int(row[0]), bytes(row[1])) for row in rows]

    async def article_sites_since(self, since: datetime) -> dict[int, tuple[int, str | None]]:
        """Return, oldest first, the feed of each article first seen since ``since`` and the
        address it was read from: its page's canonical address when it declared one, else
        its own."""
        rows = await self._db.fetch_all(
            "SELECT id, feed_id, url, details FROM articles WHERE first_seen_at >= ?"
            " AND fingerprint IS NOT NULL AND story_id IS NOT NULL ORDER BY id",
            (to_epoch(since),),
        )
        return {
            int(row["id"]): (
                int(row["feed_id"]),
                details_from_json(row["details"]).canonical_url or row["url"],
            )
            for row in rows
        }

    async def story_for_addresses(
        self, article_id: int, url_keys: Sequence[str], since: datetime
    ) -> int | None:
        """Return the story of a recent other article at one of ``url_keys``, or whose
        original is one of them."""
        if not url_keys:
            return None
        at_addresses, keys = self._db.dialect.in_list("a.url_key", url_keys)
        from_originals, _ = self._db.dialect.in_list("s.original_url_key", url_keys)
        row = await self._db.fetch_one(
            "SELECT story_id FROM ("
            " SELECT a.story_id, a.first_seen_at AS seen FROM articles a"
            f" WHERE {at_addresses} AND a.id != ? AND a.story_id IS NOT NULL"
            " AND a.first_seen_at >= ?"
            " UNION ALL"
            f" SELECT s.id, s.created_at FROM stories s WHERE {from_originals}"
            " AND s.created_at >= ?) AS candidates ORDER BY seen LIMIT 1",
            [*keys, article_id, to_epoch(since), *keys, to_epoch(since)],
        )
        return None if row is None else int(row[0])

    async def fingerprint_records(self, article_ids: Sequence[int]) -> dict[int, bytes]:
        """Return the stored fingerprint of each of these articles that has one."""
        if not article_ids:
            return {}
        among, ids = self._db.dialect.in_list("id", article_ids)
        rows = await self._db.fetch_all(
            f"SELECT id, fingerprint FROM articles WHERE {among} AND fingerprint IS NOT NULL",
            ids,
        )
        return {int(row[0]): bytes(row[1]) for row in rows}

    async def leads_story_in_channel(self, outbox_id: int, channel_id: int, story_id: int) -> bool:
        """Return whether a post is its story's first in its channel (the one that stands for
        the story), rather than a copy a subscription posts on purpose."""
        row = await self._db.fetch_one(
            "SELECT MIN(id) FROM outbox WHERE channel_id = ? AND story_id = ?"
            " AND state IN ('pending', 'sending', 'sent')",
            (channel_id, story_id),
        )
        return row is None or row[0] is None or int(row[0]) == outbox_id

    async def story_ids(self, article_ids: Sequence[int]) -> dict[int, int]:
        """Return the story of each of these articles that was read."""
        if not article_ids:
            return {}
        among, ids = self._db.dialect.in_list("id", article_ids)
        rows = await self._db.fetch_all(
            f"SELECT id, story_id FROM articles WHERE {among} AND story_id IS NOT NULL", ids
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def story_of(self, article_id: int) -> int | None:
        """Return the story an article belongs to, if it was read."""
        row = await self._db.fetch_one("SELECT story_id FROM articles WHERE id = ?", (article_id,))
        return None if row is None or row[0] is None else int(row[0])

    async def waiting_rows(self, article_id: int) -> list[tuple[int, int | None]]:
        """Return (outbox id, subscription id) of the article's rows waiting for its reading."""
        rows = await self._db.fetch_all(
            "SELECT id, subscription_id FROM outbox WHERE article_id = ? AND state = 'waiting'",
            (article_id,),
        )
        return [(int(row[0]), row[1]) for row in rows]

    async def record_reading(
        self, article_id: int, reading: ArticleReading, story_id: int | None, now: datetime,
        *, held_back: dict[int, str] | None = None,
        follow_posts: Sequence[tuple[int, int, int, int | None]] = (),
    ) -> list[int]:
        """Store a reading and decide the article (``record_decision``) in one transaction:
        one process (role ``all``) reads and decides in one go.

        Raises:
            AlreadyDecided: the article was decided meanwhile; nothing was written.
        """
        async with self._db.transaction() as tx:
            await _decide_article(tx, article_id, now, storing=reading)
            return await _record_decision(
                tx, article_id, reading, story_id, now, held_back=held_back,
                follow_posts=follow_posts,
            )

    async def record_decision(
        self, article_id: int, reading: ArticleReading, story_id: int | None, now: datetime,
        *, held_back: dict[int, str] | None = None,
        follow_posts: Sequence[tuple[int, int, int, int | None]] = (),
        fence: Fence | None = None,
    ) -> list[int]:
        """Record an article's story, add the posts follows ask for, and decide the
        article's waiting rows; return the rows that became pending.

        ``reading`` is the one a reader stored (``store_reading``); ``story_id`` None starts a
        story. ``held_back`` maps waiting rows to why they are not posted (the filter that
        rejected them, "filtered: …", or "too old: …" past their subscription's maximum age);
        ``follow_posts`` are (guild id, channel id, follow id, role id to ping). A follow's
        post in a channel that already gets the article carries the follow (and its ping) and
        is not filtered. An article joining a story flags every sent post of the story for a
        refresh, in every channel: the new source may lead it or be "also reported by" there
        (the deliverer edits only a post whose card changes).

        Raises:
            LeadershipLost: ``fence`` is no longer the desk's lease; nothing was written.
            AlreadyDecided: the article was decided meanwhile (or is not read); nothing was
                written.
        """
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await _decide_article(tx, article_id, now)
            return await _record_decision(
                tx, article_id, reading, story_id, now, held_back=held_back,
                follow_posts=follow_posts,
            )

    async def story(self, guild_id: int, story_id: int) -> Story | None:
        """Return a story with the sources one server's feeds carried, first seen first.

        Sources from feeds only other servers follow are left out: which feeds a server
        follows, and what it named them, stay its own.
        """
        story_row = await self._db.fetch_one(
            "SELECT id, original_url_key, original_url, original_publisher FROM stories"
            " WHERE id = ?",
            (story_id,),
        )
        if story_row is None:
            return None
        rows = await self._db.fetch_all(
            f"SELECT {_SOURCE_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id"
            " WHERE a.story_id = ? AND a.feed_id IN"
            " (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"
            " ORDER BY a.first_seen_at, a.id",
            (story_id, guild_id),
        )
        if not rows:
            return None
        return Story(
            id=story_row["id"],
            original_url_key=story_row["original_url_key"],
            original_url=story_row["original_url"],
            original_publisher=story_row["original_publisher"],
            sources=tuple(_source_from_row(row) for row in rows),
        )

    async def story_for_guild_address(self, guild_id: int, url_key: str) -> int | None:
        """Return the story of an article at ``url_key`` that one of a server's feeds
        carried, or whose original is that address."""
        row = await self._db.fetch_one(
            "SELECT a.story_id FROM articles a JOIN subscriptions s ON s.feed_id = a.feed_id"
            " AND s.guild_id = ? JOIN stories st ON st.id = a.story_id"
            " WHERE a.url_key = ? OR st.original_url_key = ? ORDER BY a.first_seen_at DESC"
            " LIMIT 1",
            (guild_id, url_key, url_key),
        )
        return None if row is None or row[0] is None else int(row[0])


async def decide_rows_of_read_articles(
    tx: Transaction, subscription_id: int, now: datetime, *, lock_rows: bool
) -> list[int]:
    """Decide a new subscription's waiting rows whose article was already read (a backfill of
    a feed another channel follows): no reading will come to release them. Return the rows
    that became pending.

    ``lock_rows`` (PostgreSQL) locks the articles first, so a reading committed meanwhile is
    seen here, and one that comes later sees these rows.
    """
    lock = " FOR UPDATE OF a" if lock_rows else ""
    async with tx.execute(
        "SELECT a.id, a.story_id, a.enriched_at, a.read_failure FROM articles a"
        " JOIN outbox o ON o.article_id = a.id"
        " WHERE o.subscription_id = ? AND o.state = 'waiting' ORDER BY a.id" + lock,
        (subscription_id,),
    ) as cursor:
        candidates = [tuple(row) for row in await cursor.fetchall()]
    pending: list[int] = []
    for article_id, story_id, read_at, read_failure in candidates:
        if read_at is None:  # not read yet: its reading will decide the row
            continue
        if story_id is None and read_failure is not None:
            # Given up (a poison item): its posts fail with the reason, as the reader's did.
            await tx.execute(
                "UPDATE outbox SET state = 'failed', failure = ? WHERE article_id = ?"
                " AND subscription_id = ? AND state = 'waiting'",
                (read_failure, article_id, subscription_id),
            )
            continue
        pending += await _decide_waiting_rows(
            tx, article_id, story_id, now, subscription_id=subscription_id
        )
    return pending


async def _decide_article(
    tx: Transaction, article_id: int, now: datetime, *, storing: ArticleReading | None = None
) -> None:
    """Mark the article decided (storing its reading, or one stored already), first in the
    transaction: on PostgreSQL its row stays locked until the transaction ends, so a second
    decision waits for the first and then finds it decided (``AlreadyDecided``)."""
    values: tuple[object, ...] = ()
    if storing is None:
        reading, read = "", " AND read_at IS NOT NULL"
    else:
        reading, values, read = f", {_READING_SET}", _reading_values(storing), ""
    cursor = await tx.execute(
        "UPDATE articles SET enriched_at = ?, read_at = COALESCE(read_at, ?), reading_by = NULL,"
        f" reading_until = NULL{reading} WHERE id = ? AND enriched_at IS NULL{read}",
        (to_epoch(now), to_epoch(now), *values, article_id),
    )
    if cursor.rowcount == 0:
        raise AlreadyDecided(article_id)


async def _record_decision(
    tx: Transaction, article_id: int, reading: ArticleReading, story_id: int | None,
    now: datetime, *, held_back: dict[int, str] | None,
    follow_posts: Sequence[tuple[int, int, int, int | None]],
) -> list[int]:
    if story_id is not None:
        # Channels are listed so that the (channel, story) index finds the posts.
        await tx.execute(
            "UPDATE outbox SET refresh_requested = 1 WHERE channel_id IN"
            " (SELECT channel_id FROM subscriptions UNION SELECT channel_id FROM follows)"
            " AND story_id = ? AND state = 'sent' AND refresh_requested = 0",
            (story_id,),
        )
    story_id = await _join_or_create_story(tx, story_id, reading, now)
    await tx.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story_id, article_id))
    for guild_id, channel_id, follow_id, role_id in follow_posts:
        await tx.execute(
            "INSERT INTO outbox (guild_id, channel_id, article_id, state, follow_id,"
            " ping_role_id, next_attempt_at, created_at)"
            " VALUES (?, ?, ?, 'waiting', ?, ?, ?, ?)"
            " ON CONFLICT (channel_id, article_id) DO UPDATE SET"
            " follow_id = COALESCE(outbox.follow_id, excluded.follow_id),"
            " ping_role_id = COALESCE(outbox.ping_role_id, excluded.ping_role_id)"
            " WHERE outbox.state = 'waiting'",
            (guild_id, channel_id, article_id, follow_id, role_id, to_epoch(now),
             to_epoch(now)),
        )
    for outbox_id, reason in (held_back or {}).items():
        await tx.execute(
            "UPDATE outbox SET state = 'skipped', failure = ? WHERE id = ?"
            " AND state = 'waiting' AND follow_id IS NULL",
            (reason, outbox_id),
        )
    return await _decide_waiting_rows(tx, article_id, story_id, now)


async def _join_or_create_story(
    tx: Transaction, story_id: int | None, reading: ArticleReading, now: datetime
) -> int:
    if story_id is None:
        async with tx.execute(
            "INSERT INTO stories (created_at, original_url_key, original_url, original_publisher)"
            " VALUES (?, ?, ?, ?) RETURNING id",
            (to_epoch(now), reading.original_url_key, reading.original_url,
             reading.original_publisher),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])
    if reading.original_url_key is not None:
        await tx.execute(
            "UPDATE stories SET original_url_key = ?, original_url = ?, original_publisher = ?"
            " WHERE id = ? AND original_url_key IS NULL",
            (reading.original_url_key, reading.original_url, reading.original_publisher,
             story_id),
        )
    return story_id


async def _decide_waiting_rows(
    tx: Transaction, article_id: int, story_id: int | None, now: datetime,
    *, subscription_id: int | None = None,
) -> list[int]:
    only_one = " AND o.subscription_id = ?" if subscription_id is not None else ""
    async with tx.execute(
        "SELECT o.id, o.channel_id, COALESCE(s.post_copies, 0) AS post_copies,"
        " (SELECT p.id FROM outbox p WHERE p.channel_id = o.channel_id AND p.story_id = ?"
        "  AND p.id != o.id AND p.state IN ('pending', 'sending', 'sent') ORDER BY p.id"
        "  LIMIT 1) AS story_post"
        " FROM outbox o LEFT JOIN subscriptions s ON s.id = o.subscription_id"
        f" WHERE o.article_id = ? AND o.state = 'waiting'{only_one}",
        (story_id, article_id) + ((subscription_id,) if subscription_id is not None else ()),
    ) as cursor:
        rows = await cursor.fetchall()
    pending: list[int] = []
    for row in rows:
        if row["story_post"] is not None and not row["post_copies"]:
            await tx.execute(
                "UPDATE outbox SET state = 'skipped', story_id = ?, failure = ? WHERE id = ?",
                (story_id, f"copy of a story already posted (outbox {row['story_post']})",
                 row["id"]),
            )
            await tx.execute(
                "UPDATE outbox SET refresh_requested = 1 WHERE id = ?", (row["story_post"],)
            )
        else:
            await tx.execute(
                "UPDATE outbox SET state = 'pending', story_id = ?, next_attempt_at = ?"
                " WHERE id = ?",
                (story_id, to_epoch(now), row["id"]),
            )
            pending.append(int(row["id"]))
    return pending
