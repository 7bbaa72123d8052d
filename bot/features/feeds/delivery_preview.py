"""``/feed preview``: what the latest items of a feed did, or would do, in one channel.

Rules: the ``PREVIEW_ITEMS`` newest items of the subscription's feed (by publication, else
first-seen time), one line each. An item the channel was offered says what happened to it:
posted (with a link), queued, filtered (by which rule), too old, a copy of a story already
posted there (with a link), failed. An item it was not offered (already in the feed when the
subscription started or resumed, or while it was paused or off) says what it would do if it
came now, judged by the same rules in the same order as posting: the subscription's filters,
its maximum article age, then whether its story is already posted there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import NoSuchSubscription
from bot.core.models import FilterRule, OutboxState, PreviewedArticle
from bot.core.text import split_into_pages, trim_text
from bot.discord_io import markup
from bot.features.feeds.why import message_link
from bot.pipeline.route.article_age import TOO_OLD, too_old_reason
from bot.pipeline.route.filters import ArticleFields, Verdict, evaluate
from storage import Repositories

PREVIEW_ITEMS = 20
PREVIEW_TIME_BUDGET_SECONDS = 0.5


@dataclass(frozen=True)
class PreviewContext:
    """What judging one subscription's items needs."""

    guild_id: int
    channel_id: int
    subscription_id: int
    max_age_days: int
    rules: Sequence[FilterRule]


class DeliveryPreviewService:
    """Shows what a subscription's latest items did or would do (``/feed preview``)."""

    def __init__(self, repositories: Repositories) -> None:
        self._repos = repositories

    async def preview(self, guild_id: int, subscription_id: int) -> list[str]:
        """Return the preview of a subscription, in pages that each fit one message.

        Raises:
            NotFound: the server has no subscription with that number.
        """
        summary = await self._repos.subscriptions.get(guild_id, subscription_id)
        if summary is None:
            raise NoSuchSubscription(subscription_id)
        sub = summary.subscription
        items = await self._repos.articles.delivery_preview(
            sub.feed_id, sub.channel_id, PREVIEW_ITEMS
        )
        mode, rules = (await self._repos.follows.rules_for_subscriptions([sub.id])).get(
            sub.id, ("all", [])
        )
        fields = [
            ArticleFields(
                item.article.title, item.article.text or item.article.summary,
                item.article.author or "", summary.feed_title,
            )
            for item in items
        ]
        # Admins' regexes can take up to their time budget: never on the event loop.
        verdicts = await asyncio.to_thread(_verdicts, rules, mode, fields)
        context = PreviewContext(guild_id, sub.channel_id, sub.id, sub.max_age_days, rules)
        lines = [
            f"`{position}.` {_title(item)} — {describe_item(context, item, verdict)}"
            for position, (item, verdict) in enumerate(zip(items, verdicts, strict=True), 1)
        ]
        if not lines:
            return [f"**{trim_text(summary.feed_title, 100)}** has no items yet."]
        header = (
            f"The latest {len(lines)} items of **{trim_text(summary.feed_title, 100)}** in "
            f"{markup.channel(sub.channel_id)} (subscription #{sub.id}):"
        )
        return split_into_pages(header, lines, "\n")


def _verdicts(
    rules: Sequence[FilterRule], mode: str, fields: Sequence[ArticleFields]
) -> list[Verdict]:
    deadline = time.monotonic() + PREVIEW_TIME_BUDGET_SECONDS
    return [evaluate(rules, mode, one, deadline=deadline) for one in fields]


def _title(item: PreviewedArticle) -> str:
    title = trim_text(item.article.title or "(untitled)", 80)
    url = item.article.url
    return f"[{title}](<{url}>)" if url and len(url) <= 300 else f"**{title}**"


def _rule_number(rules: Sequence[FilterRule], reason: str) -> str:
    """Name the rule a filter reason quotes ("rule #3"), if one does."""
    for rule in rules:
        if rule.describe() in reason:
            return f"rule #{rule.id}"
    return "the filters"


def describe_item(context: PreviewContext, item: PreviewedArticle, verdict: Verdict) -> str:
    """Say what one item did in the channel, or would do now."""
    guild, channel = context.guild_id, context.channel_id
    failure = item.failure or ""
    state = item.outbox_state
    if state is OutboxState.SENT and item.message_id is not None:
        return f"✅ posted: {message_link(guild, channel, item.message_id)}"
    if state in {OutboxState.WAITING, OutboxState.PENDING, OutboxState.SENDING}:
        return "⏳ queued: it will be posted shortly"
    if state is OutboxState.FAILED:
        return f"⚠️ could not be posted: {trim_text(failure, 120)}"
    if state is OutboxState.SKIPPED:
        if failure.startswith("filtered: "):
            reason = failure.removeprefix("filtered: ")
            rule = _rule_number(context.rules, reason)
            return f"🚫 filtered by {rule} ({trim_text(reason, 100)})"
        if failure.startswith(TOO_OLD):
            return f"🕰️ too old: {trim_text(failure.removeprefix(TOO_OLD), 120)}"
        if item.story_message_id is not None:
            link = message_link(guild, channel, item.story_message_id)
            return f"🔁 copy of a story already posted: {link}"
        return f"➖ not posted: {trim_text(failure or 'skipped', 120)}"
    would = _would_now(context, item, verdict)
    return f"➖ not offered (in the feed before posting started or resumed); now it {would}"


def _would_now(context: PreviewContext, item: PreviewedArticle, verdict: Verdict) -> str:
    """Say what the item would do if it came now."""
    if not verdict.passed:
        return (
            f"would be filtered by {_rule_number(context.rules, verdict.reason)} "
            f"({trim_text(verdict.reason, 100)})"
        )
    too_old = too_old_reason(
        item.article.published_at, item.article.first_seen_at, context.max_age_days
    )
    if too_old is not None:
        return "would be too old"
    if item.story_message_id is not None:
        return "would be a copy of a story already posted"
    return "would be posted"
