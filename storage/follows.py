"""Follows and filters: what a server's channels watch for, and the rules that narrow it.

Every call a command makes takes ``guild_id`` first and never sees another server's rows;
the reader's calls (``rules_for_subscriptions``, ``every_follow``…) span servers, because
routing an article is the one job that does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bot.core.errors import FilterLimitReached
from bot.core.models import FilterField, FilterRule, Follow, MatchKind
from storage.database import Database, Row, to_epoch

_FOLLOW_COLUMNS = (
    "id, guild_id, channel_id, kind, topic, role_id, subscription_ids, filter_mode,"
    " notify_button"
)
_RULE_COLUMNS = "id, action, field, match_kind, pattern"


def _follow(row: Row) -> Follow:
    ids = row["subscription_ids"]
    return Follow(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        kind=row["kind"],
        topic=row["topic"],
        role_id=row["role_id"],
        subscription_ids=tuple(json.loads(ids)) if ids else None,
        filter_mode=row["filter_mode"],
        notify_button=bool(row["notify_button"]),
    )


def _rule(row: Row) -> FilterRule:
    return FilterRule(
        id=row["id"],
        action=row["action"],
        field=FilterField(row["field"]),
        match_kind=MatchKind(row["match_kind"]),
        pattern=row["pattern"],
    )


_KEPT_ROLE = "COALESCE(excluded.role_id, follows.role_id)"

class FollowRepository:
    """Per-server follows and filters."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(
        self, guild_id: int, channel_id: int, kind: str, topic: str, *,
        role_id: int | None, subscription_ids: Sequence[int] | None, created_by: int,
        now: datetime, keep_role: bool = False, notify_button: bool | None = None,
        channel_kind: str | None = None,
    ) -> tuple[Follow, bool]:
        """Add a follow (or update the role and feeds of the same one); return it and
        whether it is new. With ``keep_role``, an update without a role keeps the one the
        follow had; ``notify_button`` None keeps the follow's "Notify me" switch (off for a
        new one). ``channel_kind`` (``text`` or ``forum``) is recorded for the deliverer."""
        async with self._db.transaction() as tx:
            async with tx.execute(
                "SELECT id FROM follows WHERE guild_id = ? AND channel_id = ? AND kind = ?"
                " AND topic = ?",
                (guild_id, channel_id, kind, topic),
            ) as cursor:
                existing = await cursor.fetchone()
            ids = json.dumps(sorted(subscription_ids)) if subscription_ids else None
            async with tx.execute(
                "INSERT INTO follows (guild_id, channel_id, kind, topic, role_id,"
                " subscription_ids, created_by, created_at, notify_button, channel_kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, channel_id, kind, topic) DO UPDATE SET"
                f" role_id = {_KEPT_ROLE if keep_role else 'excluded.role_id'},"
                " subscription_ids = excluded.subscription_ids, notify_button ="
                f" {'follows' if notify_button is None else 'excluded'}.notify_button,"
                " channel_kind = COALESCE(excluded.channel_kind, follows.channel_kind)"
                f" RETURNING {_FOLLOW_COLUMNS}",
                (guild_id, channel_id, kind, topic, role_id, ids, created_by, to_epoch(now),
                 int(bool(notify_button)), channel_kind),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return _follow(row), existing is None

    async def pinged_roles(self, guild_id: int) -> list[tuple[int, bool]]:
        """Return each role the server's follows ping, with whether any of them offers it
        through a "Notify me" button."""
        rows = await self._db.fetch_all(
            "SELECT role_id, MAX(notify_button) AS offered FROM follows"
            " WHERE guild_id = ? AND role_id IS NOT NULL GROUP BY role_id",
            (guild_id,),
        )
        return [(int(row["role_id"]), bool(row["offered"])) for row in rows]

    async def list_for_guild(self, guild_id: int) -> list[Follow]:
        """Return the server's follows, by channel then topic."""
        rows = await self._db.fetch_all(
            f"SELECT {_FOLLOW_COLUMNS} FROM follows WHERE guild_id = ?"
            f" ORDER BY channel_id, {self._db.dialect.case_folded('topic')}",
            (guild_id,),
        )
        return [_follow(row) for row in rows]

    async def get(self, guild_id: int, follow_id: int) -> Follow | None:
        """Return one of the server's follows."""
        row = await self._db.fetch_one(
            f"SELECT {_FOLLOW_COLUMNS} FROM follows WHERE guild_id = ? AND id = ?",
            (guild_id, follow_id),
        )
        return None if row is None else _follow(row)

    async def remove(self, guild_id: int, follow_id: int) -> bool:
        """Delete one of the server's follows (its filters go with it)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET state = 'failed', failure = 'follow removed'"
                " WHERE guild_id = ? AND follow_id = ? AND state IN ('waiting', 'pending')",
                (guild_id, follow_id),
            )
            cursor = await tx.execute(
                "DELETE FROM follows WHERE guild_id = ? AND id = ?", (guild_id, follow_id)
            )
            return cursor.rowcount > 0

    async def routing_generation(self) -> int:
        """Return the count of changes to follows, their filters and subscriptions (bumped
        by triggers, whoever writes), so the reader knows when its copy is stale."""
        row = await self._db.fetch_one("SELECT generation FROM routing_generation WHERE id = 1")
        return 0 if row is None else int(row[0])

    async def every_follow(self) -> list[Follow]:
        """Return every server's follows (for the reader's in-memory index), by id."""
        rows = await self._db.fetch_all(f"SELECT {_FOLLOW_COLUMNS} FROM follows ORDER BY id")
        return [_follow(row) for row in rows]

    async def every_follow_rule(self) -> dict[int, list[FilterRule]]:
        """Return the rules of every follow (for the reader's in-memory index)."""
        rows = await self._db.fetch_all(
            f"SELECT follow_id, {_RULE_COLUMNS} FROM filters WHERE follow_id IS NOT NULL"
            " ORDER BY id"
        )
        found: dict[int, list[FilterRule]] = {}
        for row in rows:
            found.setdefault(int(row["follow_id"]), []).append(_rule(row))
        return found

    async def add_rule(
        self, guild_id: int, *, subscription_id: int | None, follow_id: int | None,
        action: str, field: FilterField, match_kind: MatchKind, pattern: str, now: datetime,
        max_rules: int | None = None,
    ) -> int:
        """Store a filter rule on a subscription or a follow; return its id.

        Raises:
            FilterLimitReached: the server already has ``max_rules`` rules (None: no limit).
        """
        async with self._db.transaction() as tx:
            async with tx.execute(
                "SELECT COUNT(*) FROM filters WHERE guild_id = ?", (guild_id,)
            ) as cursor:
                counted = await cursor.fetchone()
            count = 0 if counted is None else int(counted[0])
            if max_rules is not None and count >= max_rules:
                raise FilterLimitReached(count, max_rules)
            async with tx.execute(
                "INSERT INTO filters (guild_id, subscription_id, follow_id, action, field,"
                " match_kind, pattern, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (guild_id, subscription_id, follow_id, action, field.value, match_kind.value,
                 pattern, to_epoch(now)),
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def rules(
        self, guild_id: int, *, subscription_id: int | None = None,
        follow_id: int | None = None,
    ) -> list[FilterRule]:
        """Return the rules of one of the server's subscriptions or follows."""
        same_as = self._db.dialect.same_as
        rows = await self._db.fetch_all(
            f"SELECT {_RULE_COLUMNS} FROM filters WHERE guild_id = ?"
            f" AND {same_as('subscription_id', '?')} AND {same_as('follow_id', '?')}"
            " ORDER BY id",
            (guild_id, subscription_id, follow_id),
        )
        return [_rule(row) for row in rows]

    async def rules_for_subscriptions(
        self, subscription_ids: Sequence[int]
    ) -> dict[int, tuple[str, list[FilterRule]]]:
        """Return each subscription's filter mode and rules (for the reader)."""
        if not subscription_ids:
            return {}
        of_subscriptions, ids = self._db.dialect.in_list("id", subscription_ids)
        modes = await self._db.fetch_all(
            f"SELECT id, filter_mode FROM subscriptions WHERE {of_subscriptions}", ids
        )
        found: dict[int, tuple[str, list[FilterRule]]] = {
            int(row[0]): (row[1], []) for row in modes
        }
        of_rules, ids = self._db.dialect.in_list("subscription_id", subscription_ids)
        rows = await self._db.fetch_all(
            f"SELECT subscription_id, {_RULE_COLUMNS} FROM filters WHERE {of_rules} ORDER BY id",
            ids,
        )
        for row in rows:
            found[int(row["subscription_id"])][1].append(_rule(row))
        return found

    async def remove_rule(self, guild_id: int, rule_id: int) -> bool:
        """Delete one of the server's filter rules."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "DELETE FROM filters WHERE guild_id = ? AND id = ?", (guild_id, rule_id)
            )
            return cursor.rowcount > 0

    async def subscription_filter_mode(self, guild_id: int, subscription_id: int) -> str:
        """Return how a subscription's include rules combine (``all`` or ``any``)."""
        row = await self._db.fetch_one(
            "SELECT filter_mode FROM subscriptions WHERE guild_id = ? AND id = ?",
            (guild_id, subscription_id),
        )
        return "all" if row is None else str(row[0])

    async def set_mode(
        self, guild_id: int, *, subscription_id: int | None, follow_id: int | None, mode: str
    ) -> bool:
        """Set how include rules combine (``all`` or ``any``) on a subscription or follow."""
        async with self._db.transaction() as tx:
            if subscription_id is not None:
                cursor = await tx.execute(
                    "UPDATE subscriptions SET filter_mode = ? WHERE guild_id = ? AND id = ?",
                    (mode, guild_id, subscription_id),
                )
            else:
                cursor = await tx.execute(
                    "UPDATE follows SET filter_mode = ? WHERE guild_id = ? AND id = ?",
                    (mode, guild_id, follow_id),
                )
            return cursor.rowcount > 0
