"""Subscriptions: a server's channels following feeds. Every call takes ``guild_id`` first.

Rule (first poll posts nothing old): subscribing stores the feed's current entries as seen
*before* the new subscription row exists, in the same transaction, so none of them is ever
queued for it; subscriptions that already followed the feed get the truly new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.errors import SubscriptionLimitReached
from bot.core.models import (
    FeedSnapshot,
    NewArticle,
    SubscribeResult,
    Subscription,
    SubscriptionSummary,
)
from storage.articles import insert_articles_and_queue
from storage.database import Database, Row, from_epoch, require_epoch, to_epoch
from storage.leases import Fence, check_fence
from storage.stories import decide_rows_of_read_articles

_SUBSCRIPTION_COLUMNS = (
    "s.id, s.guild_id, s.channel_id, s.feed_id, s.created_by, s.created_at, s.enabled,"
    " s.disabled_reason, s.max_age_days, s.paused_at"
)


def subscription_from_row(row: Row) -> Subscription:
    """Build a ``Subscription`` from a row selected with the subscription columns."""
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        feed_id=row["feed_id"],
        created_by=row["created_by"],
        created_at=require_epoch(row["created_at"]),
        enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"],
        max_age_days=int(row["max_age_days"]),
        paused_at=from_epoch(row["paused_at"]),
    )


class SubscriptionRepository:
    """Per-server subscription storage."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def subscribe(
        self,
        guild_id: int,
        channel_id: int,
        snapshot: FeedSnapshot,
        *,
        created_by: int,
        now: datetime,
        max_feeds: int,
        backfill: int = 0,
        forum_tag_id: int | None = None,
        channel_kind: str | None = None,
    ) -> SubscribeResult:
        """Follow ``snapshot.url`` in a channel, seeding its current entries as already seen.

        ``channel_kind`` (``text`` or ``forum``, None when unknown) is recorded for the
        deliverer; an existing subscription without one gets it.

        Raises:
            SubscriptionLimitReached: the server already follows ``max_feeds`` distinct feeds.
        """
        async with self._db.transaction() as tx:
            async with tx.execute(
                "INSERT INTO feeds (url, title, site_url, etag, last_modified, body_sha256,"
                " interval_seconds, next_check_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET title = excluded.title RETURNING id",
                (
                    snapshot.url,
                    snapshot.title,
                    snapshot.site_url,
                    snapshot.etag,
                    snapshot.last_modified,
                    snapshot.body_sha256,
                    snapshot.interval_seconds,
                    to_epoch(snapshot.next_check_at),
                    to_epoch(now),
                ),
            ) as cursor:
                feed_row = await cursor.fetchone()
            assert feed_row is not None  # RETURNING always yields the upserted row
            feed_id = int(feed_row[0])

            async with tx.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions s"
                " WHERE s.guild_id = ? AND s.channel_id = ? AND s.feed_id = ?",
                (guild_id, channel_id, feed_id),
            ) as cursor:
                existing = await cursor.fetchone()
            if existing is not None:
                if channel_kind is not None:
                    await tx.execute(
                        "UPDATE subscriptions SET channel_kind = ?"
                        " WHERE id = ? AND channel_kind IS NULL",
                        (channel_kind, existing["id"]),
                    )
                return SubscribeResult(subscription_from_row(existing), True, [])

            async with tx.execute(
                "SELECT COUNT(DISTINCT feed_id),"
                f" COALESCE({self._db.dialect.any_true('feed_id = ?')}, 0)"
                " FROM subscriptions WHERE guild_id = ?",
                (feed_id, guild_id),
            ) as cursor:
                count_row = await cursor.fetchone()
            followed, follows_this_feed = (0, 0) if count_row is None else count_row
            if not follows_this_feed and followed >= max_feeds:
                raise SubscriptionLimitReached(followed, max_feeds)

            _, queued = await insert_articles_and_queue(tx, feed_id, snapshot.entries, now)
            async with tx.execute(
                "INSERT INTO subscriptions (guild_id, channel_id, feed_id, created_by, created_at,"
                " forum_tag_id, channel_kind) VALUES (?, ?, ?, ?, ?, ?, ?)"
                f" RETURNING {_SUBSCRIPTION_COLUMNS.replace('s.', '')}",
                (guild_id, channel_id, feed_id, created_by, to_epoch(now), forum_tag_id,
                 channel_kind),
            ) as cursor:
                created = await cursor.fetchone()
            assert created is not None
            subscription = subscription_from_row(created)
            if backfill > 0:
                # The latest N go out once, oldest of them first, to this subscription only.
                await tx.execute(
                    "INSERT INTO outbox (guild_id, channel_id, subscription_id, article_id,"
                    " next_attempt_at, created_at, state)"
                    " SELECT ?, ?, ?, id, ?, ?, 'waiting' FROM (SELECT id, published_at,"
                    " first_seen_at"
                    " FROM articles WHERE feed_id = ?"
                    " ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC LIMIT ?)"
                    " AS latest ORDER BY COALESCE(published_at, first_seen_at), id"
                    " ON CONFLICT (channel_id, article_id) DO NOTHING",
                    (
                        guild_id, channel_id, subscription.id, to_epoch(now), to_epoch(now),
                        feed_id, backfill,
                    ),
                )
                await decide_rows_of_read_articles(
                    tx, subscription.id, now, lock_rows=self._db.dialect.is_postgres
                )
            return SubscribeResult(subscription, False, queued)

    async def list_for_guild(self, guild_id: int) -> list[SubscriptionSummary]:
        """Return the server's subscriptions with their feeds, by channel then feed title."""
        rows = await self._db.fetch_all(
            f"SELECT {_SUBSCRIPTION_COLUMNS}, f.url AS feed_url, f.title AS feed_title,"
            " f.last_error AS last_error FROM subscriptions s JOIN feeds f ON f.id = s.feed_id"
            " WHERE s.guild_id = ? ORDER BY s.channel_id,"
            f" {self._db.dialect.case_folded('f.title')}, s.id",
            (guild_id,),
        )
        return [
            SubscriptionSummary(
                subscription_from_row(row), row["feed_url"], row["feed_title"], row["last_error"]
            )
            for row in rows
        ]

    async def get(self, guild_id: int, subscription_id: int) -> SubscriptionSummary | None:
        """Return one of the server's subscriptions; another server's id finds nothing."""
        row = await self._db.fetch_one(
            f"SELECT {_SUBSCRIPTION_COLUMNS}, f.url AS feed_url, f.title AS feed_title,"
            " f.last_error AS last_error FROM subscriptions s JOIN feeds f ON f.id = s.feed_id"
            " WHERE s.guild_id = ? AND s.id = ?",
            (guild_id, subscription_id),
        )
        if row is None:
            return None
        return SubscriptionSummary(
            subscription_from_row(row), row["feed_url"], row["feed_title"], row["last_error"]
        )

    async def enabled_by_feed(self) -> dict[int, dict[int, list[int]]]:
        """Return, per feed, each server with enabled subscriptions to it and their ids (for
        the reader's in-memory follow index)."""
        rows = await self._db.fetch_all(
            "SELECT feed_id, guild_id, id FROM subscriptions WHERE enabled = 1 ORDER BY id"
        )
        found: dict[int, dict[int, list[int]]] = {}
        for feed_id, guild_id, subscription_id in rows:
            found.setdefault(int(feed_id), {}).setdefault(int(guild_id), []).append(
                int(subscription_id)
            )
        return found

    async def set_max_age(self, guild_id: int, subscription_id: int, days: int) -> bool:
        """Set a subscription's maximum article age in days (0: none); return whether the
        server has it."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE subscriptions SET max_age_days = ? WHERE guild_id = ? AND id = ?",
                (days, guild_id, subscription_id),
            )
            return cursor.rowcount > 0

    async def max_ages(self, subscription_ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
        """Return each subscription's maximum article age in days (0: none) and when it was
        created."""
        if not subscription_ids:
            return {}
        of_subscriptions, ids = self._db.dialect.in_list("id", subscription_ids)
        rows = await self._db.fetch_all(
            f"SELECT id, max_age_days, created_at FROM subscriptions WHERE {of_subscriptions}",
            ids,
        )
        return {int(row[0]): (int(row[1]), require_epoch(row[2])) for row in rows}

    async def remove(self, guild_id: int, subscription_id: int) -> bool:
        """Delete one of the server's subscriptions and cancel its undelivered posts."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET state = 'failed', failure = 'subscription removed'"
                " WHERE guild_id = ? AND subscription_id = ? AND state IN ('waiting', 'pending')",
                (guild_id, subscription_id),
            )
            cursor = await tx.execute(
                "DELETE FROM subscriptions WHERE guild_id = ? AND id = ?",
                (guild_id, subscription_id),
            )
            return cursor.rowcount > 0

    async def set_interval(
        self, guild_id: int, subscription_id: int, seconds: int | None, *,
        default_seconds: int, now: datetime,
    ) -> int:
        """Record the interval a subscription asks for; return the feed's resulting interval.

        The feed is checked at the shortest interval its enabled subscriptions ask for.
        """
        async with self._db.transaction() as tx:
            async with tx.execute(
                "UPDATE subscriptions SET interval_seconds = ? WHERE guild_id = ? AND id = ?"
                " RETURNING feed_id",
                (seconds, guild_id, subscription_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return default_seconds
            interval = (
                "(SELECT COALESCE(MIN(COALESCE(s.interval_seconds, :default)), :default)"
                " FROM subscriptions s WHERE s.feed_id = feeds.id AND s.enabled = 1)"
            )
            soonest = self._db.dialect.least(
                "next_check_at", f"CAST(:now AS DOUBLE PRECISION) + {interval}"
            )
            async with tx.execute(
                f"UPDATE feeds SET interval_seconds = {interval}, next_check_at = {soonest}"
                " WHERE id = :feed_id RETURNING interval_seconds",
                {"default": default_seconds, "now": to_epoch(now), "feed_id": row[0]},
            ) as cursor:
                updated = await cursor.fetchone()
        return default_seconds if updated is None else int(updated[0])

    async def shortest_interval_asker(
        self, feed_id: int, default_seconds: int, prefer_guild_id: int
    ) -> tuple[int, int] | None:
        """Return (server, subscription) of the enabled subscription asking for the feed's
        shortest interval, preferring ``prefer_guild_id``'s on a tie (None: no enabled one)."""
        row = await self._db.fetch_one(
            "SELECT guild_id, id FROM subscriptions WHERE feed_id = ? AND enabled = 1"
            " ORDER BY COALESCE(interval_seconds, ?),"
            " CASE WHEN guild_id = ? THEN 0 ELSE 1 END, id LIMIT 1",
            (feed_id, default_seconds, prefer_guild_id),
        )
        return None if row is None else (int(row[0]), int(row[1]))

    async def enable(
        self, guild_id: int, subscription_id: int, seed: Sequence[NewArticle], now: datetime
    ) -> bool:
        """Resume a disabled subscription from now on; return whether the server has it.

        ``seed`` (the feed's current entries) is stored as seen before the subscription is
        enabled, like at subscription time, so what was published while it was off is not
        posted in a burst; subscriptions that stayed enabled get the truly new ones.
        """
        return await self._post_again(
            guild_id, subscription_id, seed, now, "enabled = 1, disabled_reason = NULL"
        )

    async def pause(self, guild_id: int, subscription_id: int, now: datetime) -> bool:
        """Stop queueing new posts for a subscription; return whether it was posting."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE subscriptions SET paused_at = ? WHERE guild_id = ? AND id = ?"
                " AND paused_at IS NULL",
                (to_epoch(now), guild_id, subscription_id),
            )
            return cursor.rowcount > 0

    async def resume(
        self, guild_id: int, subscription_id: int, seed: Sequence[NewArticle], now: datetime
    ) -> bool:
        """Post a paused subscription's new articles again, from now on (``seed`` as for
        ``enable``); return whether the server has it."""
        return await self._post_again(guild_id, subscription_id, seed, now, "paused_at = NULL")

    async def _post_again(
        self, guild_id: int, subscription_id: int, seed: Sequence[NewArticle], now: datetime,
        change: str,
    ) -> bool:
        async with self._db.transaction() as tx:
            async with tx.execute(
                "SELECT feed_id FROM subscriptions WHERE guild_id = ? AND id = ?",
                (guild_id, subscription_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            await insert_articles_and_queue(tx, int(row[0]), seed, now)
            cursor = await tx.execute(
                f"UPDATE subscriptions SET {change}, resumed_at = ?"
                " WHERE guild_id = ? AND id = ?",
                (to_epoch(now), guild_id, subscription_id),
            )
            return cursor.rowcount > 0

    async def disable_guild(self, guild_id: int, reason: str) -> int:
        """Disable every subscription of a server and cancel their queue; return how many."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET state = 'failed', failure = ? WHERE guild_id = ?"
                " AND state IN ('waiting', 'pending', 'sending')",
                (f"subscription disabled: {reason}", guild_id),
            )
            cursor = await tx.execute(
                "UPDATE subscriptions SET enabled = 0, disabled_reason = ?"
                " WHERE guild_id = ? AND enabled = 1",
                (reason, guild_id),
            )
            return cursor.rowcount

    async def set_post_copies(self, guild_id: int, subscription_id: int, post: bool) -> bool:
        """Choose whether copies of stories already posted in the channel are posted too."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE subscriptions SET post_copies = ? WHERE guild_id = ? AND id = ?",
                (int(post), guild_id, subscription_id),
            )
            return cursor.rowcount > 0

    async def set_look(
        self, guild_id: int, subscription_id: int, *, template: str | object | None = ...,
        ping_role_id: int | object | None = ..., notify_button: bool | None = None,
    ) -> None:
        """Set a subscription's template and/or role to ping (``...`` leaves one as it is),
        and whether its posts offer that role through a "Notify me" button (None: as it
        is)."""
        async with self._db.transaction() as tx:
            if notify_button is not None:
                await tx.execute(
                    "UPDATE subscriptions SET notify_button = ? WHERE guild_id = ? AND id = ?",
                    (int(notify_button), guild_id, subscription_id),
                )
            if template is not ...:
                await tx.execute(
                    "UPDATE subscriptions SET template = ? WHERE guild_id = ? AND id = ?",
                    (template, guild_id, subscription_id),
                )
            if ping_role_id is not ...:
                await tx.execute(
                    "UPDATE subscriptions SET ping_role_id = ? WHERE guild_id = ? AND id = ?",
                    (ping_role_id, guild_id, subscription_id),
                )

    async def ping_of(self, guild_id: int, subscription_id: int) -> tuple[int | None, bool]:
        """Return the role a subscription pings (if any) and whether its posts carry the
        "Notify me" button."""
        row = await self._db.fetch_one(
            "SELECT ping_role_id, notify_button FROM subscriptions WHERE guild_id = ? AND id = ?",
            (guild_id, subscription_id),
        )
        if row is None:
            return None, False
        return row["ping_role_id"], bool(row["notify_button"])

    async def pinged_roles(self, guild_id: int) -> list[tuple[int, bool]]:
        """Return each role the server's subscriptions ping, with whether any of them offers
        it through a "Notify me" button."""
        rows = await self._db.fetch_all(
            "SELECT ping_role_id, MAX(notify_button) AS offered FROM subscriptions"
            " WHERE guild_id = ? AND ping_role_id IS NOT NULL GROUP BY ping_role_id",
            (guild_id,),
        )
        return [(int(row["ping_role_id"]), bool(row["offered"])) for row in rows]

    async def use_webhook(
        self, guild_id: int, subscription_id: int, webhook: tuple[int, str] | None,
        channel_id: int,
    ) -> None:
        """Post a subscription through the channel's webhook (stored), or stop (None)."""
        async with self._db.transaction() as tx:
            if webhook is not None:
                await tx.execute(
                    "INSERT INTO channel_webhooks (channel_id, guild_id, webhook_id, token)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET"
                    " webhook_id = excluded.webhook_id, token = excluded.token",
                    (channel_id, guild_id, webhook[0], webhook[1]),
                )
            await tx.execute(
                "UPDATE subscriptions SET via_webhook = ? WHERE guild_id = ? AND id = ?",
                (int(webhook is not None), guild_id, subscription_id),
            )

    async def channel_webhook(self, guild_id: int, channel_id: int) -> tuple[int, str] | None:
        """Return the webhook Newsdesk made in a channel, if any."""
        row = await self._db.fetch_one(
            "SELECT webhook_id, token FROM channel_webhooks WHERE guild_id = ? AND channel_id = ?",
            (guild_id, channel_id),
        )
        return None if row is None else (int(row[0]), str(row[1]))

    async def set_forum_tag(
        self, guild_id: int, subscription_id: int, tag_id: int | None
    ) -> None:
        """Choose the forum tag of a subscription's posts (None: the default one)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE subscriptions SET forum_tag_id = ? WHERE guild_id = ? AND id = ?",
                (tag_id, guild_id, subscription_id),
            )

    async def forum_tag_of(self, guild_id: int, subscription_id: int) -> int | None:
        """Return the forum tag an admin chose for a subscription, if any."""
        row = await self._db.fetch_one(
            "SELECT forum_tag_id FROM subscriptions WHERE guild_id = ? AND id = ?",
            (guild_id, subscription_id),
        )
        return None if row is None or row[0] is None else int(row[0])

    async def subscription_webhook(
        self, guild_id: int, subscription_id: int
    ) -> tuple[int, str] | None:
        """Return the webhook a subscription posts through, if it posts through one."""
        row = await self._db.fetch_one(
            "SELECT w.webhook_id, w.token FROM subscriptions s JOIN channel_webhooks w"
            " ON w.channel_id = s.channel_id WHERE s.guild_id = ? AND s.id = ?"
            " AND s.via_webhook = 1",
            (guild_id, subscription_id),
        )
        return None if row is None else (int(row[0]), str(row[1]))

    async def replace_channel_webhook(
        self, guild_id: int, channel_id: int, gone_id: int, webhook: tuple[int, str],
        *, fence: Fence | None = None,
    ) -> None:
        """Store the webhook made to replace a deleted one (``gone_id``) in a channel (under
        the deliverer's ``fence``: a deliverer that lost its lease stores nothing)."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE channel_webhooks SET webhook_id = ?, token = ?"
                " WHERE guild_id = ? AND channel_id = ? AND webhook_id = ?",
                (webhook[0], webhook[1], guild_id, channel_id, gone_id),
            )

    async def set_embed(
        self, guild_id: int, subscription_id: int, style: str, colour: int | None
    ) -> None:
        """Set how a subscription's posts show their article: embed style and colour."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE subscriptions SET embed_style = ?, embed_colour = ?"
                " WHERE guild_id = ? AND id = ?",
                (style, colour, guild_id, subscription_id),
            )

    async def embed_of(self, guild_id: int, subscription_id: int) -> tuple[str, int | None]:
        """Return a subscription's embed style and colour."""
        row = await self._db.fetch_one(
            "SELECT embed_style, embed_colour FROM subscriptions WHERE guild_id = ? AND id = ?",
            (guild_id, subscription_id),
        )
        return ("full", None) if row is None else (str(row[0]), row[1])

    async def template_of(self, guild_id: int, subscription_id: int) -> str | None:
        """Return a subscription's template, if it has one."""
        row = await self._db.fetch_one(
            "SELECT template FROM subscriptions WHERE guild_id = ? AND id = ?",
            (guild_id, subscription_id),
        )
        return None if row is None else row[0]

    async def disable(
        self, guild_id: int, subscription_id: int, reason: str, *, fence: Fence | None = None
    ) -> None:
        """Stop delivering a subscription (listed with the reason) and cancel its queue (under
        the deliverer's ``fence`` when the deliverer disables it: a stale one changes nothing)."""
        async with self._db.transaction() as tx:
            await check_fence(tx, fence)
            await tx.execute(
                "UPDATE outbox SET state = 'failed', failure = ? WHERE guild_id = ?"
                " AND subscription_id = ? AND state IN ('waiting', 'pending', 'sending')",
                (f"subscription disabled: {reason}", guild_id, subscription_id),
            )
            await tx.execute(
                "UPDATE subscriptions SET enabled = 0, disabled_reason = ?"
                " WHERE guild_id = ? AND id = ?",
                (reason, guild_id, subscription_id),
            )
