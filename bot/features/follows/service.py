"""What ``/follow`` and ``/filter`` do, without Discord. Every call is scoped to one server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import (
    FilterLimitReached,
    InvalidInput,
    LimitReached,
    NoSuchSubscription,
    NotFound,
)
from bot.core.models import ArticleDetails, FilterField, FilterRule, Follow, MatchKind
from bot.pipeline.route.filters import (
    MAX_FILTER_RULES_PER_SERVER,
    ArticleFields,
    Verdict,
    evaluate,
    validate_pattern,
)
from bot.pipeline.route.topics import FOLLOW_KINDS, MAX_TOPIC_LENGTH, ArticleTopics, follow_matches
from storage import Repositories

FILTER_PREVIEW_SIZE = 50
PREVIEW_TIME_BUDGET_SECONDS = 2.0
"""Regex time one /filter test may spend over all its articles (each has its own budget too)."""


@dataclass(frozen=True)
class FilterTarget:
    """A subscription or a follow of one server, which filters attach to."""

    subscription_id: int | None
    follow_id: int | None

    def label(self) -> str:
        """Say which one it is, as commands name it."""
        if self.subscription_id is not None:
            return f"subscription #{self.subscription_id}"
        return f"follow #{self.follow_id}"


@dataclass(frozen=True)
class PreviewLine:
    """One recent article and whether it would pass."""

    title: str
    verdict: Verdict


def parse_subscription_numbers(text: str | None) -> list[int] | None:
    """Read "3, 7" into subscription numbers; None or blank means every feed.

    Raises:
        InvalidInput: the text is not a list of numbers.
    """
    if text is None or not text.strip():
        return None
    try:
        return sorted({int(part) for part in text.replace(",", " ").split()})
    except ValueError:
        raise InvalidInput(
            "List the subscriptions by their numbers from /feed list, like 3, 7."
        ) from None


class FollowService:
    """Follows and filters of a server."""

    def __init__(self, repositories: Repositories, clock: Callable[[], datetime]) -> None:
        self._repos = repositories
        self._clock = clock

    async def add(
        self, guild_id: int, channel_id: int, kind: str, topic: str, *, role_id: int | None,
        feeds: str | None, added_by: int, clear_role: bool = False,
        notify_button: bool | None = None, channel_kind: str | None = None,
    ) -> tuple[Follow, bool]:
        """Follow a topic in a channel; return the follow and whether it is new.

        Adding a follow the channel already has updates it: its feeds become ``feeds``, and
        its role ping becomes ``role_id`` when one is given, none with ``clear_role``, and
        stays as it was otherwise (leaving the role out never silently stops a ping); so does
        its "Notify me" button unless ``notify_button`` says (a new follow has none).

        Raises:
            InvalidInput: the kind, topic or feed list cannot be used.
            NotFound: a listed subscription is not this server's.
        """
        if kind not in FOLLOW_KINDS:
            raise InvalidInput(f"Follow one of: {', '.join(FOLLOW_KINDS)}.")
        cleaned = " ".join(topic.split())
        if not cleaned or len(cleaned) > MAX_TOPIC_LENGTH:
            raise InvalidInput(f"Give a topic of 1 to {MAX_TOPIC_LENGTH} characters.")
        numbers = parse_subscription_numbers(feeds)
        if numbers is not None:
            owned = {v.subscription.id for v in await self._repos.subscriptions.list_for_guild(
                guild_id
            )}
            unknown = [number for number in numbers if number not in owned]
            if unknown:
                raise NoSuchSubscription(unknown[0])
        return await self._repos.follows.add(
            guild_id, channel_id, kind, cleaned, role_id=None if clear_role else role_id,
            subscription_ids=numbers, created_by=added_by, now=self._clock(),
            keep_role=not clear_role, notify_button=notify_button, channel_kind=channel_kind,
        )

    async def list_follows(self, guild_id: int) -> list[Follow]:
        """Return the server's follows."""
        return await self._repos.follows.list_for_guild(guild_id)

    async def remove(self, guild_id: int, follow_id: int) -> Follow:
        """Stop a follow.

        Raises:
            NotFound: the server has no follow with that number.
        """
        follow = await self._repos.follows.get(guild_id, follow_id)
        if follow is None or not await self._repos.follows.remove(guild_id, follow_id):
            raise _no_such_follow(follow_id)
        return follow

    async def target(self, guild_id: int, kind: str, number: int) -> FilterTarget:
        """Resolve "subscription N" or "follow N" to one of the server's own.

        Raises:
            NotFound: the server has no such subscription or follow.
        """
        if kind == "subscription":
            if await self._repos.subscriptions.get(guild_id, number) is None:
                raise NoSuchSubscription(number)
            return FilterTarget(number, None)
        if await self._repos.follows.get(guild_id, number) is None:
            raise _no_such_follow(number)
        return FilterTarget(None, number)

    async def add_rule(
        self, guild_id: int, target: FilterTarget, *, action: str, field: str, match: str,
        pattern: str,
    ) -> FilterRule:
        """Add an include or exclude rule to a subscription or follow.

        Raises:
            InvalidInput: the rule cannot be used (bad regex, empty pattern…).
            LimitReached: the server has ``MAX_FILTER_RULES_PER_SERVER`` rules already.
        """
        kind = MatchKind(match)
        # Compiling a regular expression is CPU work (bounded by RE2's memory cap).
        checked = await asyncio.to_thread(validate_pattern, kind, pattern)
        try:
            rule_id = await self._repos.follows.add_rule(
                guild_id, subscription_id=target.subscription_id, follow_id=target.follow_id,
                action=action, field=FilterField(field), match_kind=kind, pattern=checked,
                now=self._clock(), max_rules=MAX_FILTER_RULES_PER_SERVER,
            )
        except FilterLimitReached as full:
            raise LimitReached(
                f"This server already has {full.count} filters, the most allowed "
                f"({full.limit}). Remove one with /filter remove first."
            ) from None
        return FilterRule(rule_id, action, FilterField(field), kind, checked)

    async def rules(self, guild_id: int, target: FilterTarget) -> list[FilterRule]:
        """Return a subscription's or follow's rules."""
        return await self._repos.follows.rules(
            guild_id, subscription_id=target.subscription_id, follow_id=target.follow_id
        )

    async def remove_rule(self, guild_id: int, rule_id: int) -> None:
        """Delete one of the server's rules.

        Raises:
            NotFound: the server has no rule with that number.
        """
        if not await self._repos.follows.remove_rule(guild_id, rule_id):
            raise NotFound(f"This server has no filter #{rule_id}. Use /filter list to see them.")

    async def set_mode(self, guild_id: int, target: FilterTarget, mode: str) -> None:
        """Choose whether all include rules must match, or any one."""
        await self._repos.follows.set_mode(
            guild_id, subscription_id=target.subscription_id, follow_id=target.follow_id,
            mode=mode,
        )

    async def preview(self, guild_id: int, target: FilterTarget) -> list[PreviewLine]:
        """Show which of the last articles would pass the target's rules, and why."""
        if target.subscription_id is not None:
            summary = await self._repos.subscriptions.get(guild_id, target.subscription_id)
            assert summary is not None
            mode = await self.mode(guild_id, target)
            articles = await self._repos.articles.latest_for_feed(
                summary.subscription.feed_id, FILTER_PREVIEW_SIZE
            )
            follow = None
        else:
            follow = await self._repos.follows.get(guild_id, target.follow_id or 0)
            assert follow is not None
            mode = follow.filter_mode
            articles = await self._repos.articles.latest_for_guild(guild_id, FILTER_PREVIEW_SIZE)
        rules = await self.rules(guild_id, target)
        candidates = [
            (
                ArticleFields(article.title, article.text or article.summary,
                              article.author or "", feed_title),
                article.details,
            )
            for article, feed_title in articles
        ]
        # The same rules and budgets as posting, in a worker thread, within one budget.
        return await asyncio.to_thread(_preview_lines, follow, rules, mode, candidates)

    async def mode(self, guild_id: int, target: FilterTarget) -> str:
        """Return how the target's include rules combine (``all`` or ``any``)."""
        if target.subscription_id is not None:
            return await self._repos.follows.subscription_filter_mode(
                guild_id, target.subscription_id
            )
        follow = await self._repos.follows.get(guild_id, target.follow_id or 0)
        return follow.filter_mode if follow is not None else "all"


def _preview_lines(
    follow: Follow | None, rules: Sequence[FilterRule], mode: str,
    candidates: Sequence[tuple[ArticleFields, ArticleDetails]],
) -> list[PreviewLine]:
    deadline = time.monotonic() + PREVIEW_TIME_BUDGET_SECONDS
    lines: list[PreviewLine] = []
    for fields, details in candidates:
        if follow is not None and not follow_matches(
            follow, ArticleTopics.from_reading(details, fields.title, fields.text)
        ):
            lines.append(PreviewLine(fields.title, Verdict(False, "does not mention it")))
            continue
        lines.append(PreviewLine(fields.title, evaluate(rules, mode, fields, deadline=deadline)))
    return lines


def _no_such_follow(follow_id: int) -> NotFound:
    return NotFound(f"This server has no follow #{follow_id}. Use /follow list to see them.")
