"""The text of ``/feed`` replies: plain strings with Discord markup, always under 2000 chars."""

from __future__ import annotations

from collections.abc import Sequence

from bot.formatting import discord_timestamp, trim_text
from bot.models import SubscriptionView
from bot.subscriptions import AddedFeed

MESSAGE_LIMIT = 2000


def describe_added_feed(added: AddedFeed) -> str:
    """Describe a new (or existing) subscription and what will happen next."""
    channel = f"<#{added.subscription.channel_id}>"
    title = trim_text(added.feed_title, 200)
    if added.already_existed:
        return (
            f"{channel} already follows **{title}** (subscription "
            f"#{added.subscription.id}). Nothing changed."
        )
    lines = [f"Now following **{title}** in {channel} (subscription #{added.subscription.id})."]
    if added.latest is not None:
        latest_title = trim_text(added.latest.title or "(untitled)", 200)
        shown = f"[{latest_title}](<{added.latest.link}>)" if added.latest.link else latest_title
        when = f", {discord_timestamp(added.latest.published)}" if added.latest.published else ""
        lines.append(f"Latest item: {shown}{when}.")
    lines.append(
        f"The {added.entry_count} items already in the feed will not be posted; "
        "new articles will appear there as the feed publishes them."
    )
    return "\n".join(lines)


def describe_subscriptions(views: Sequence[SubscriptionView]) -> str:
    """List a server's subscriptions, one line each, cut to fit one message."""
    if not views:
        return "This server follows no feeds yet. Add one with /feed add."
    lines = [f"This server follows {len(views)} feed{'s' if len(views) != 1 else ''}:"]
    for position, view in enumerate(views):
        sub = view.subscription
        line = (
            f"`#{sub.id}` **{trim_text(view.feed_title or view.feed_url, 80)}** → "
            f"<#{sub.channel_id}> · <{trim_text(view.feed_url, 200)}>"
        )
        if not sub.enabled:
            line += f" · disabled: {trim_text(sub.disabled_reason or 'unknown reason', 200)}"
        elif view.last_error:
            line += f" · failing: {trim_text(view.last_error, 200)}"
        remaining = len(views) - position
        if sum(len(text) + 1 for text in lines) + len(line) > MESSAGE_LIMIT - 40:
            lines.append(f"…and {remaining} more.")
            break
        lines.append(line)
    return "\n".join(lines)
