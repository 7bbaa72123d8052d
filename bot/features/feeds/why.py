"""``/feed why``: what happened to an article in one server, in plain words.

For each of the server's subscriptions whose feed carried the article, exactly one of:
posted (with a link to the post), being read or queued, filtered (by which rule), a copy of
a story already posted there (with a link to that post), too old for the subscription's
maximum age, failed (and why), skipped because it was already in the feed when the channel
started following it or when posting resumed, or not posted while the subscription was
paused or off. An address no followed
feed carried is "not seen".
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import ArticleTrace, OutboxState
from bot.core.text import join_within_limit, trim_text
from bot.discord_io import markup
from bot.pipeline.route.article_age import TOO_OLD


def message_link(guild_id: int, channel_id: int, message_id: int) -> str:
    """Return the jump link of a Discord message."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def explain_trace(guild_id: int, trace: ArticleTrace) -> str:
    """Say what became of the article for one subscription."""
    channel = f"{markup.channel(trace.channel_id)}"
    source = f"**{trim_text(trace.feed_title, 80)}**"
    if trace.outbox_state is OutboxState.SENT and trace.message_id is not None:
        link = message_link(guild_id, trace.channel_id, trace.message_id)
        return f"Posted in {channel} from {source}: {link}"
    if trace.outbox_state in {OutboxState.PENDING, OutboxState.SENDING}:
        return f"Queued for {channel} from {source}; it will be posted shortly."
    if trace.outbox_state is OutboxState.SKIPPED:
        reason = trace.failure or "skipped"
        if reason.startswith("filtered: "):
            return f"Not posted in {channel} from {source}: {reason}."
        if reason.startswith(TOO_OLD):
            return (
                f"Not posted in {channel} from {source}: it is too old — "
                f"{reason.removeprefix(TOO_OLD)}. /feed maxage subscription:"
                f"{trace.subscription_id} changes that limit."
            )
        if trace.story_message_id is not None:
            link = message_link(guild_id, trace.channel_id, trace.story_message_id)
            return (
                f"Not posted again in {channel}: it is a copy of a story already posted "
                f"there, and {source} was added to that post: {link}"
            )
        return f"Not posted in {channel} from {source}: {reason}."
    if trace.outbox_state is OutboxState.WAITING:
        return f"Being read for {channel} from {source}; it will be posted shortly."
    if trace.outbox_state is OutboxState.FAILED:
        return f"Could not be posted in {channel} from {source}: {trace.failure or 'unknown'}"
    if trace.first_seen_at <= trace.subscription_created_at:
        return (
            f"Not posted in {channel}: it was already in {source} when the channel started "
            f"following it ({markup.moment(trace.subscription_created_at)}), and Newsdesk "
            "never posts a feed's backlog."
        )
    if trace.paused_at is not None and trace.first_seen_at >= trace.paused_at:
        return (
            f"Not posted in {channel}: it appeared in {source} while the subscription is "
            f"paused (since {markup.moment(trace.paused_at)}); /feed resume subscription:"
            f"{trace.subscription_id} posts its new articles again."
        )
    if not trace.subscription_enabled:
        return f"Not posted in {channel}: posting {source} there is turned off."
    if trace.resumed_at is not None and trace.first_seen_at <= trace.resumed_at:
        return (
            f"Not posted in {channel}: it appeared in {source} while posting there was "
            f"stopped, and was already in the feed when posting resumed "
            f"({markup.moment(trace.resumed_at)}); Newsdesk never posts what a feed published "
            "meanwhile in a burst."
        )
    return f"Not posted in {channel} from {source}, and Newsdesk kept no reason."


def explain_traces(guild_id: int, url: str, traces: Sequence[ArticleTrace]) -> str:
    """Say what became of an article in a server, one line per subscription."""
    if not traces:
        return (
            f"Newsdesk has not seen <{url}> in any feed this server follows. If it is new, "
            "the feed may not have published it yet; /feed refresh checks a feed now."
        )
    title = trim_text(traces[0].title, 200)
    lines = [f"**{title}**"] + [explain_trace(guild_id, trace) for trace in traces]
    return join_within_limit(lines, "\n")

