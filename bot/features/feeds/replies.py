"""The text of ``/feed`` replies: plain strings with Discord markup, always under 2000 chars."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import FeedHealth, SubscriptionSummary
from bot.core.text import plural, split_into_pages, trim_text
from bot.discord_io import markup
from bot.features.feeds.subscriptions import AddedFeed, FeedStatus

LINK_IN_REPLY = 500
"""A longer link is left out of a reply rather than cut (a cut link leads nowhere)."""
TITLE_IN_REPLY = 200
"""A feed's title is cut to this in a one-line reply (titles can be thousands of characters)."""


def shown_title(title: str) -> str:
    """Return a feed's title as a reply shows it: at most ``TITLE_IN_REPLY`` characters."""
    return trim_text(title, TITLE_IN_REPLY)


def describe_forum_tag(forum_id: int, tag_name: str | None) -> str:
    """Say which tag a subscription's posts carry in a forum."""
    where = markup.channel(forum_id)
    if tag_name is None:
        return f"{where} has no tag Newsdesk may use, so posts there carry none."
    return f"Posts in {where} carry the tag **{trim_text(tag_name, 40)}**."


def describe_backlog(backfill: int, entry_count: int) -> str:
    """Say what becomes of the items already in a newly followed feed."""
    if backfill:
        latest = "The latest item" if backfill == 1 else f"The latest {backfill} items"
        rest = entry_count - backfill
        others = (
            f"; the other {plural(rest, 'item')} already in the feed will not" if rest > 0
            else ""
        )
        return (
            f"{latest} will be posted there now{others}. New articles follow as the feed "
            "publishes them."
        )
    if entry_count == 0:
        return "The feed has no items yet; new articles will appear there as it publishes them."
    already = (
        "The item already in the feed" if entry_count == 1
        else f"The {entry_count} items already in the feed"
    )
    return (
        f"{already} will not be posted; new articles will appear there as the feed publishes "
        "them."
    )


def describe_added_feed(added: AddedFeed) -> str:
    """Describe a new (or existing) subscription and what will happen next."""
    channel = f"{markup.channel(added.subscription.channel_id)}"
    title = trim_text(added.feed_title, 200)
    if added.already_existed:
        return (
            f"{channel} already follows **{title}** (subscription "
            f"#{added.subscription.id}). Nothing changed."
        )
    lines = [f"Now following **{title}** in {channel} (subscription #{added.subscription.id})."]
    if added.latest is not None:
        latest_title = trim_text(added.latest.title or "(untitled)", 200)
        link = added.latest.link
        linked = link is not None and len(link) <= LINK_IN_REPLY
        shown = f"[{latest_title}](<{link}>)" if linked else latest_title
        when = f", {markup.moment(added.latest.published)}" if added.latest.published else ""
        lines.append(f"Latest item: {shown}{when}.")
    lines.append(describe_backlog(added.backfill, added.entry_count))
    if added.cut_off:
        lines.append(
            f"⚠️ The feed's document is cut off before its end: Newsdesk read the "
            f"{plural(added.entry_count, 'item')} before the cut. The site may be sending it "
            "incompletely; later checks read whatever it sends then."
        )
    if added.listed_items > added.entry_count:
        lines.append(
            f"This feed lists {added.listed_items:,} items; Newsdesk reads the newest "
            f"{added.entry_count:,}."
        )
    return "\n".join(lines)


def _posting(summary: SubscriptionSummary) -> str:
    """Say a subscription as "**Title** in #channel"."""
    return (
        f"**{shown_title(summary.feed_title)}** in "
        f"{markup.channel(summary.subscription.channel_id)}"
    )


def describe_interval(
    summary: SubscriptionSummary, minutes: int | None, effective_seconds: int,
    asked_by: int | None,
) -> str:
    """Say what ``/feed interval`` set, and which subscription the feed's interval follows."""
    number = summary.subscription.id
    asked = "the default interval" if minutes is None else f"every {plural(minutes, 'minute')}"
    every = f"every {plural(effective_seconds // 60, 'minute')}"
    head = f"Subscription #{number} asks for **{shown_title(summary.feed_title)}** {asked}"
    if asked_by == number:
        return f"{head}; the feed is now checked {every}."
    why = (
        f"subscription #{asked_by} of this server asks for it" if asked_by is not None
        else "another server following it asks for it"
    )
    return (
        f"{head}; the feed is checked {every} all the same, because {why} (a feed is checked "
        "at the shortest interval asked)."
    )


def describe_enabled(summary: SubscriptionSummary, was_stopped: bool) -> str:
    """Say what ``/feed enable`` did: resumed a stopped subscription, or nothing."""
    number = summary.subscription.id
    if was_stopped:
        return (
            f"Posting {_posting(summary)} again; new articles will appear there from now on."
        )
    if summary.subscription.paused_at is not None:
        return (
            f"Posting {_posting(summary)} was never stopped by Newsdesk, but it is paused: "
            f"/feed resume subscription:{number} posts its new articles again."
        )
    return f"Posting {_posting(summary)} already: it was never stopped, so nothing changed."


def describe_paused(summary: SubscriptionSummary, paused: bool) -> str:
    """Say what ``/feed pause`` did."""
    number = summary.subscription.id
    if not paused:
        return f"{_posting(summary)} is paused already; /feed resume subscription:{number} ends it."
    return (
        f"Paused {_posting(summary)}: nothing new is posted there until /feed resume "
        f"subscription:{number} (posts already on their way still go out)."
    )


def describe_resumed(summary: SubscriptionSummary, resumed: bool) -> str:
    """Say what ``/feed resume`` did."""
    if not resumed:
        return f"{_posting(summary)} is not paused: its new articles are posted already."
    return (
        f"Resumed {_posting(summary)}: new articles appear there from now on; what the feed "
        "published while it was paused is not posted."
    )


def describe_subscriptions(summaries: Sequence[SubscriptionSummary]) -> list[str]:
    """List a server's subscriptions, one line each, in pages that each fit one message."""
    if not summaries:
        return ["This server follows no feeds yet. Add one with /feed add."]
    header = f"This server follows {plural(len(summaries), 'feed')}:"
    lines: list[str] = []
    for summary in summaries:
        sub = summary.subscription
        line = (
            f"`#{sub.id}` **{trim_text(summary.feed_title or summary.feed_url, 80)}** → "
            f"{markup.channel(sub.channel_id)} · <{trim_text(summary.feed_url, 200)}>"
        )
        if sub.paused_at is not None:
            line += " · ⏸️ paused"
        if not sub.enabled:
            line += f" · disabled: {trim_text(sub.disabled_reason or 'unknown reason', 200)}"
        elif summary.last_error:
            line += f" · failing: {trim_text(summary.last_error, 200)}"
        lines.append(line)
    return split_into_pages(header, lines, "\n")


HEALTH_LABEL = {
    FeedHealth.OK: "✅ ok",
    FeedHealth.FAILING: "⚠️ failing",
    FeedHealth.DISABLED: "⛔ disabled",
}


def describe_status(statuses: Sequence[FeedStatus]) -> list[str]:
    """Show each followed feed's health (state, last success, next check, errors, volume), in
    pages that each fit one message."""
    if not statuses:
        return ["This server follows no feeds yet. Add one with /feed add."]
    blocks: list[str] = []
    for status in statuses:
        feed, sub = status.feed, status.summary.subscription
        last_success = (
            markup.moment(feed.last_success_at) if feed.last_success_at else "never yet"
        )
        lines = [
            f"`#{sub.id}` **{trim_text(feed.title or feed.url, 80)}** → "
            f"{markup.channel(sub.channel_id)} · "
            f"{HEALTH_LABEL[feed.health]}",
            f"last success {last_success} · next check "
            + ("none (disabled)" if feed.disabled_at else markup.moment(feed.next_check_at)),
            f"{plural(feed.error_count, 'error')} in a row · "
            f"{plural(status.items_last_7_days, 'item')} in 7 days",
        ]
        if feed.last_error and feed.health is not FeedHealth.OK:
            lines.append(f"last error: {trim_text(feed.last_error, 300)}")
        if sub.paused_at is not None:
            lines.append(
                f"⏸️ paused since {markup.moment(sub.paused_at)}: /feed resume "
                f"subscription:{sub.id} posts again"
            )
        if not sub.enabled:
            lines.append(f"posting here is off: {trim_text(sub.disabled_reason or '', 300)}")
        blocks.append("\n".join(lines))
    return split_into_pages("", blocks, "\n\n")
