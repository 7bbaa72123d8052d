"""The outbox: one row per (article, channel), claimed, sent and recorded by the deliverer.

States: ``waiting`` (the article is being read) → ``pending`` → ``sending`` (claimed) →
``sent`` (message id recorded) or ``failed`` (reason recorded). At most one row of a channel
is ``sending`` at a time (a partial unique index, migration 0024): a channel's rows are
claimed one at a time, oldest first, so a violation of the order fails loudly. A crash
leaves rows in ``sending``; ``release_interrupted`` returns them to ``pending`` at start-up.
``send_began_at`` keeps when the first attempt that may have reached Discord began (a crash,
or a retried failure, sets it from the claim's time; a release of rows never attempted does
not), so the deliverer can look for that post before sending again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.core.models import Delivery, OutboxState, OutboxStatus, PostRefresh
from storage.articles import ARTICLE_COLUMNS, article_from_row
from storage.database import Database, Transaction, from_epoch, is_unique_violation, to_epoch
from storage.leases import Fence, check_fence

log = logging.getLogger(__name__)


class ChannelOrderViolation(Exception):
    """A claim would have put a second row of a channel in flight; nothing was claimed."""

    def __init__(self, channel_id: int | None) -> None:
        where = "a channel" if channel_id is None else f"channel {channel_id}"
        super().__init__(f"{where} already has an outbox row being sent")
        self.channel_id = channel_id


class OutboxRepository:
    """Claiming and recording deliveries."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def nonce_prefix(self) -> str:
        """Return this database's random nonce prefix (see migration 0007)."""
        row = await self._db.fetch_one("SELECT value FROM instance WHERE key = 'nonce_prefix'")
        assert row is not None, "migration 0007 seeds the nonce prefix"
        return str(row[0])

    async def release_interrupted(self, fence: Fence | None = None) -> int:
        """Return rows a crashed run left claimed to ``pending``; return how many.

        The claim's attempt is given back: a crash is not a failed attempt, and rows caught in
        repeated crashes must not run out of attempts. Their send may have reached Discord,
        so the claim's time is kept as ``send_began_at``.
        """
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            cursor = await tx.execute(
                "UPDATE outbox SET state = 'pending', claimed_at = NULL,"
                " send_began_at = COALESCE(send_began_at, claimed_at),"
                f" attempts = {self._db.dialect.greatest('attempts - 1', '0')}"
                " WHERE state = 'sending'"
            )
            return cursor.rowcount

    async def claim(
        self, now: datetime, limit: int, fence: Fence | None = None
    ) -> list[Delivery]:
        """Claim the next row of up to ``limit`` channels, oldest channel first.

        A channel's next row is its oldest open one (``waiting``, ``pending``, ``sending``),
        claimable when it is pending and due and no row of its channel is being sent: one row
        per channel in flight (the unique index ``outbox_one_sending_per_channel`` enforces
        it), so a channel's posts keep their publication order whoever claims them. On
        PostgreSQL rows another claimer holds are skipped, never waited for.

        ``fence``: the lease of the deliverer leading (PostgreSQL roles), checked first in
        every write of this repository that takes one; None for one process (role ``all``).

        Raises:
            ChannelOrderViolation: a channel would have had two rows in flight (a bug, or
                rows committed out of their id order by concurrent writers); nothing was
                claimed, and it was logged.
            LeadershipLost: ``fence`` is no longer the current lease; nothing was written.
        """
        return await self._claim(now, limit, None, fence)

    async def claim_channel(
        self, channel_id: int, now: datetime, fence: Fence | None = None
    ) -> Delivery | None:
        """Claim the next row of one channel, if it is claimable (see ``claim``): a channel's
        worker takes its next post right after recording the previous one.

        Raises:
            ChannelOrderViolation: as ``claim``.
        """
        claimed = await self._claim(now, 1, channel_id, fence)
        return claimed[0] if claimed else None

    async def _claim(
        self, now: datetime, limit: int, channel_id: int | None, fence: Fence | None
    ) -> list[Delivery]:
        one_channel = " AND o.channel_id = :channel" if channel_id is not None else ""
        try:
            async with self._db.transaction() as tx:
                await check_fence(tx, fence)
                async with tx.execute(
                    "UPDATE outbox SET state = 'sending', claimed_at = :now,"
                    " refresh_requested = 0, attempts = attempts + 1 WHERE id IN"
                    f" (SELECT o.id FROM outbox o WHERE o.state = 'pending'{one_channel}"
                    " AND o.next_attempt_at <= :now AND NOT EXISTS"
                    " (SELECT 1 FROM outbox e WHERE e.channel_id = o.channel_id"
                    " AND e.state IN ('waiting', 'pending', 'sending')"
                    " AND (e.id < o.id OR e.state = 'sending'))"
                    f" ORDER BY o.id LIMIT :limit{self._db.dialect.skip_locked('o')})"
                    " RETURNING id",
                    {"now": to_epoch(now), "limit": limit, "channel": channel_id},
                ) as cursor:
                    claimed = [int(row[0]) for row in await cursor.fetchall()]
                if not claimed:
                    return []
                rows = await self._deliveries(tx, claimed)
        except Exception as error:
            if not is_unique_violation(error):
                raise
            log.error(
                "outbox order rule refused a claim: a channel already has a row in flight;"
                " nothing claimed channel_id=%s", channel_id, exc_info=True,
            )
            raise ChannelOrderViolation(channel_id) from error
        return rows

    async def _deliveries(self, tx: Transaction, outbox_ids: Sequence[int]) -> list[Delivery]:
        """Read what posting each of these claimed rows needs, in id order."""
        claimed_rows, claimed_ids = self._db.dialect.in_list("o.id", outbox_ids)
        async with tx.execute(
            "SELECT o.id AS outbox_id, o.guild_id, o.channel_id, o.subscription_id, o.story_id,"
            " COALESCE(o.ping_role_id, s.ping_role_id) AS ping_role_id, s.template,"
            " s.forum_tag_id, s.embed_style, s.embed_colour,"
            " COALESCE(s.channel_kind, fo.channel_kind) AS channel_kind,"
            " CASE WHEN o.ping_role_id IS NOT NULL"
            " THEN COALESCE(fo.notify_button, 0) ELSE COALESCE(s.notify_button, 0) END"
            " AS notify_button,"
            " f.icon_url AS feed_icon_url, w.webhook_id, w.token AS webhook_token,"
            " o.attempts, o.send_began_at, f.title AS feed_title,"
            " CASE WHEN (o.subscription_id IS NULL AND o.follow_id IS NULL) OR s.enabled = 0"
            " THEN 1 ELSE 0 END AS stopped,"
            " f.site_url AS feed_site_url, f.url AS feed_url,"
            f" {ARTICLE_COLUMNS}"
            " FROM outbox o JOIN articles a ON a.id = o.article_id"
            " JOIN feeds f ON f.id = a.feed_id"
            " LEFT JOIN subscriptions s ON s.id = o.subscription_id"
            " LEFT JOIN follows fo ON fo.id = o.follow_id"
            " LEFT JOIN channel_webhooks w ON w.channel_id = o.channel_id"
            " AND s.via_webhook = 1"
            f" WHERE {claimed_rows} ORDER BY o.id",
            claimed_ids,
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Delivery(
                outbox_id=row["outbox_id"],
                guild_id=row["guild_id"],
                channel_id=row["channel_id"],
                subscription_id=row["subscription_id"],
                attempts=row["attempts"],
                send_began_at=from_epoch(row["send_began_at"]),
                article=article_from_row(row),
                feed_title=row["feed_title"],
                feed_site_url=row["feed_site_url"],
                story_id=row["story_id"],
                ping_role_id=row["ping_role_id"],
                template=row["template"],
                feed_icon_url=row["feed_icon_url"],
                forum_tag_id=row["forum_tag_id"],
                embed_style=row["embed_style"] or "full",
                embed_colour=row["embed_colour"],
                notify_button=bool(row["notify_button"]),
                feed_url=row["feed_url"],
                channel_kind=row["channel_kind"],
                stopped=bool(row["stopped"]),
                webhook=(row["webhook_id"], row["webhook_token"])
                if row["webhook_id"] is not None else None,
            )
            for row in rows
        ]

    async def notify_role_of(self, outbox_id: int) -> int | None:
        """Return the role a sent post offers through its "Notify me" button, if it has one."""
        row = await self._db.fetch_one(
            "SELECT o.ping_role_id AS follow_role, s.ping_role_id AS subscription_role,"
            " COALESCE(fo.notify_button, 0) AS follow_offers,"
            " COALESCE(s.notify_button, 0) AS subscription_offers"
            " FROM outbox o LEFT JOIN subscriptions s ON s.id = o.subscription_id"
            " LEFT JOIN follows fo ON fo.id = o.follow_id WHERE o.id = ?",
            (outbox_id,),
        )
        if row is None:
            return None
        if row["follow_role"] is not None:
            return int(row["follow_role"]) if row["follow_offers"] else None
        role = row["subscription_role"]
        return int(role) if role is not None and row["subscription_offers"] else None

    async def claim_refreshes(
        self, limit: int, fence: Fence | None = None
    ) -> list[PostRefresh]:
        """Take up to ``limit`` sent posts whose story changed, clearing their flag."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await check_fence(tx, fence)
            async with tx.execute(
                "UPDATE outbox SET refresh_requested = 0 WHERE id IN (SELECT id FROM outbox"
                " WHERE refresh_requested = 1 AND state = 'sent' AND story_id IS NOT NULL"
                " AND message_id IS NOT NULL ORDER BY id LIMIT ?)"
                " RETURNING id, guild_id, channel_id, message_id, story_id, article_id,"
                " card_digest",
                (limit,),
            ) as cursor:
                rows = await cursor.fetchall()
        if not rows:
            return []
        claimed_rows, claimed_ids = self._db.dialect.in_list("o.id", [int(row[0]) for row in rows])
        looks = await self._db.fetch_all(
            "SELECT o.id, s.template, s.embed_style, s.embed_colour FROM outbox o"
            " LEFT JOIN subscriptions s ON s.id = o.subscription_id"
            f" WHERE {claimed_rows}",
            claimed_ids,
        )
        by_post = {int(row[0]): (row[1], row[2] or "full", row[3]) for row in looks}
        return [
            PostRefresh(
                row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                *by_post.get(int(row[0]), (None, "full", None)),
            )
            for row in rows
        ]

    async def mark_sent(
        self, outbox_id: int, message_id: int, now: datetime, card_digest: str | None = None,
        fence: Fence | None = None,
    ) -> None:
        """Record the Discord message that carries this row (and the card it shows)."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, failure = NULL,"
                " card_digest = ? WHERE id = ?",
                (message_id, to_epoch(now), card_digest, outbox_id),
            )

    async def record_card(
        self, outbox_id: int, card_digest: str, fence: Fence | None = None
    ) -> None:
        """Record the card a sent post shows after an edit."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE outbox SET card_digest = ? WHERE id = ?", (card_digest, outbox_id)
            )

    async def mark_retry(
        self, outbox_id: int, reason: str, retry_at: datetime, fence: Fence | None = None
    ) -> None:
        """Put a row back in the queue after a passing failure (which may have posted it: a
        timeout, a lost answer, so its claim's time is kept as ``send_began_at``)."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE outbox SET state = 'pending', claimed_at = NULL, failure = ?,"
                " send_began_at = COALESCE(send_began_at, claimed_at),"
                " next_attempt_at = ? WHERE id = ?",
                (reason, to_epoch(retry_at), outbox_id),
            )

    async def release(
        self, outbox_ids: Sequence[int], *, maybe_sent: bool = False, fence: Fence | None = None
    ) -> None:
        """Return claimed rows to the queue, giving their attempt back.

        ``maybe_sent``: their send was under way (a fault cut it short), so the claim's time
        is kept as ``send_began_at``; otherwise they were never attempted.
        """
        if not outbox_ids:
            return
        rows, ids = self._db.dialect.in_list("id", outbox_ids)
        attempts = self._db.dialect.greatest("attempts - 1", "0")
        began = " send_began_at = COALESCE(send_began_at, claimed_at)," if maybe_sent else ""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                f"UPDATE outbox SET state = 'pending',{began} claimed_at = NULL,"
                f" attempts = {attempts} WHERE {rows} AND state = 'sending'",
                ids,
            )

    async def mark_failed(
        self, outbox_id: int, reason: str, fence: Fence | None = None
    ) -> None:
        """Record that a row will never be delivered, and why."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE outbox SET state = 'failed', failure = ? WHERE id = ?",
                (reason, outbox_id),
            )

    async def status(self, outbox_id: int) -> OutboxStatus | None:
        """Return the state of one outbox row, if it exists."""
        row = await self._db.fetch_one(
            "SELECT state, message_id, failure, attempts FROM outbox WHERE id = ?", (outbox_id,)
        )
        if row is None:
            return None
        return OutboxStatus(
            OutboxState(row["state"]), row["message_id"], row["failure"], row["attempts"]
        )

    async def count_unfinished(self, outbox_ids: Sequence[int]) -> int:
        """Return how many of these rows are still pending or being sent."""
        if not outbox_ids:
            return 0
        rows, ids = self._db.dialect.in_list("id", outbox_ids)
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) FROM outbox WHERE {rows}"
            " AND state IN ('waiting', 'pending', 'sending')",
            ids,
        )
        return 0 if row is None else int(row[0])

    async def count_refreshes_waiting(self) -> int:
        """Return how many sent posts wait to be edited because their story changed."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM outbox WHERE refresh_requested = 1 AND state = 'sent'"
            " AND message_id IS NOT NULL"
        )
        return 0 if row is None else int(row[0])
