"""The text of ``/follow`` and ``/filter`` replies."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import FilterRule, Follow
from bot.core.text import join_within_limit, plural, split_into_pages, trim_text
from bot.discord_io import markup
from bot.features.follows.service import FilterTarget, PreviewLine

KIND_LABEL = {
    "keyword": "keyword",
    "person": "person",
    "organization": "organisation",
    "place": "place",
}


def describe_follow(follow: Follow) -> str:
    """Say one follow in a line: what, where, whom it pings, which feeds."""
    line = (
        f"`#{follow.id}` {KIND_LABEL.get(follow.kind, follow.kind)} "
        f"**{trim_text(follow.topic, 100)}** → {markup.channel(follow.channel_id)}"
    )
    if follow.role_id is not None:
        line += f" · pings {markup.role(follow.role_id)}"
        if follow.notify_button:
            line += " (Notify me button)"
    if follow.subscription_ids is not None:
        line += " · feeds " + ", ".join(f"#{number}" for number in follow.subscription_ids)
    else:
        line += " · all feeds"
    return line


def describe_added_follow(
    follow: Follow, created: bool, *, role_given: bool, cleared_role: bool
) -> str:
    """Say what ``/follow add`` did, and what became of the follow's role ping."""
    if created:
        return (
            f"Now following: {describe_follow(follow)}\nArticles that mention it will be "
            "posted there as feeds publish them."
        )
    lines = [f"Updated: {describe_follow(follow)}"]
    if cleared_role:
        lines.append("It pings no role any more.")
    elif not role_given and follow.role_id is not None:
        lines.append(
            f"It still pings {markup.role(follow.role_id)}; add it again with "
            "clear_role:true to stop."
        )
    return "\n".join(lines)


def describe_follows(follows: Sequence[Follow]) -> list[str]:
    """List a server's follows, in pages that each fit one message."""
    if not follows:
        return ["This server follows no topics yet. Add one with /follow add."]
    return split_into_pages(
        f"This server follows {plural(len(follows), 'topic')}:",
        [describe_follow(follow) for follow in follows], "\n",
    )


def describe_rules(target: FilterTarget, mode: str, rules: Sequence[FilterRule]) -> str:
    """List the filter rules of a subscription or follow."""
    if not rules:
        return f"{target.label().capitalize()} has no filters: everything it brings is posted."
    header = f"Filters of {target.label()} (include rules must match: {mode}):"
    return join_within_limit(
        [header] + [f"`#{rule.id}` {trim_text(rule.describe(), 300)}" for rule in rules], "\n"
    )


def describe_preview(target: FilterTarget, lines: Sequence[PreviewLine]) -> list[str]:
    """Show which recent articles would pass, and why: the matches first, then the misses,
    in pages that each fit one message."""
    if not lines:
        return [f"No articles yet to test {target.label()} against."]
    passing = [line for line in lines if line.verdict.passed]
    missing = [line for line in lines if not line.verdict.passed]
    header = (
        f"Of the last {plural(len(lines), 'article')}, {len(passing)} would be posted by "
        f"{target.label()}:"
    )
    rows = [
        f"{'✅' if line.verdict.passed else '❌'} {trim_text(line.title, 90)} — "
        f"{trim_text(line.verdict.reason, 120)}"
        for line in [*passing, *missing]
    ]
    return split_into_pages(header, rows, "\n")
