"""The text of ``/follow`` and ``/filter`` replies."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import FilterRule, Follow
from bot.core.text import join_within_limit, trim_text
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
    if follow.subscription_ids is not None:
        line += " · feeds " + ", ".join(f"#{number}" for number in follow.subscription_ids)
    else:
        line += " · all feeds"
    return line


def describe_follows(follows: Sequence[Follow]) -> str:
    """List a server's follows."""
    if not follows:
        return "This server follows no topics yet. Add one with /follow add."
    return join_within_limit(
        [f"This server follows {len(follows)} topic{'s' if len(follows) != 1 else ''}:"]
        + [describe_follow(follow) for follow in follows],
        "\n",
    )


def describe_rules(target: FilterTarget, mode: str, rules: Sequence[FilterRule]) -> str:
    """List the filter rules of a subscription or follow."""
    if not rules:
        return f"{target.label().capitalize()} has no filters: everything it brings is posted."
    header = f"Filters of {target.label()} (include rules must match: {mode}):"
    return join_within_limit(
        [header] + [f"`#{rule.id}` {trim_text(rule.describe(), 300)}" for rule in rules], "\n"
    )


def describe_preview(target: FilterTarget, lines: Sequence[PreviewLine]) -> str:
    """Show which recent articles would pass, and why."""
    if not lines:
        return f"No articles yet to test {target.label()} against."
    passing = sum(1 for line in lines if line.verdict.passed)
    rows = [f"Of the last {len(lines)} articles, {passing} would be posted by {target.label()}:"]
    for line in lines:
        mark = "✅" if line.verdict.passed else "❌"
        rows.append(f"{mark} {trim_text(line.title, 90)} — {trim_text(line.verdict.reason, 120)}")
    return join_within_limit(rows, "\n")
