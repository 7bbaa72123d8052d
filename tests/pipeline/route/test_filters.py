"""Filter rules under hostile patterns and articles: RE2, the caps, the budgets, the loop.

The service tests run on a real SQLite file through the services the commands use.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime

import pytest

from bot.app.services import Services
from bot.core.errors import InvalidInput, LimitReached
from bot.core.models import FeedSnapshot, FilterField, FilterRule, MatchKind
from bot.pipeline.route.filters import (
    MATCHED_TEXT_BYTES,
    MAX_FILTER_RULES_PER_SERVER,
    MAX_PATTERN_LENGTH,
    RULES_TIME_BUDGET_SECONDS,
    ArticleFields,
    evaluate,
    evaluate_off_loop,
    validate_pattern,
)
from storage import Repositories

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GUILD = 111
NESTED = "(?:(?:(?:a{100}){100}){100}){100}"
# Patterns that make an automaton work hard on text made of a and b (the DFA keeps
# meeting new states, so RE2 does the most work per byte it ever does).
HEAVY = ("[ab]*a[ab]{20}x", "(?:a|b)*a(?:a|b){30}x", "a[ab]{40}Q")


def regex_rule(pattern: str, action: str = "include", rule_id: int = 1) -> FilterRule:
    return FilterRule(rule_id, action, FilterField.ANY, MatchKind.REGEX, pattern)


def hostile_text(size: int) -> str:
    # A fixed pseudo-random a/b text: cheap to make, the worst kind for HEAVY.
    state, letters = 12345, []
    for _ in range(size):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        letters.append("ab"[state >> 16 & 1])
    return "".join(letters)


def test_a_nested_repetition_is_refused_at_once_within_bounded_memory() -> None:
    # In a child limited to 1 GB of address space: the old engine grew past it (MemoryError
    # after seconds) or compiled for minutes; RE2 refuses the pattern in microseconds.
    script = textwrap.dedent(f"""
        import resource, time
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from bot.core.errors import InvalidInput
        from bot.core.models import MatchKind
        from bot.pipeline.route.filters import validate_pattern
        started = time.monotonic()
        try:
            validate_pattern(MatchKind.REGEX, {NESTED!r})
        except InvalidInput as error:
            print(round(time.monotonic() - started, 3), error.message)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-500:]
    seconds, _, message = done.stdout.strip().partition(" ")
    assert float(seconds) < 0.5
    assert message.startswith("That pattern repeats too much")


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("(.*)*(?!)", "look-ahead `(?=…)`/`(?!…)`"),
        ("breaking(?= news)", "look-ahead `(?=…)`/`(?!…)`"),
        ("(?<!not )guilty", "look-behind `(?<=…)`/`(?<!…)`"),
        ("(?<=ex-)president", "look-behind `(?<=…)`/`(?<!…)`"),
        (r"(\w+) \1", "backreferences `\\1`"),
        ("(?P<word>a)(?P=word)", "backreferences `(?P=name)`"),
        ("a*+b", "possessive quantifiers"),
        ("(?>ab|a)c", "atomic groups `(?>…)`"),
        ("(?(1)a|b)", "conditionals"),
        ("(a(?R)?b)", "recursion"),
    ],
)
def test_constructs_re2_cannot_run_are_refused_by_name(pattern: str, named: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_pattern(MatchKind.REGEX, pattern)
    message = refused.value.message
    assert message.startswith(f"Filters cannot use {named}")
    assert "linear-time engine" in message and message.endswith("Rewrite the pattern without it.")


def test_patterns_are_refused_when_too_long_or_too_large() -> None:
    with pytest.raises(InvalidInput, match=f"at most {MAX_PATTERN_LENGTH} characters"):
        validate_pattern(MatchKind.REGEX, "a" * (MAX_PATTERN_LENGTH + 1))
    with pytest.raises(InvalidInput, match="too large for a filter"):
        validate_pattern(MatchKind.REGEX, r"\pL{1000}")  # over RE2's memory cap
    with pytest.raises(InvalidInput, match="too large for a filter"):
        validate_pattern(MatchKind.REGEX, "[ab]{999}")  # over the program-size cap
    with pytest.raises(InvalidInput, match=r"write `\\z`"):
        validate_pattern(MatchKind.REGEX, r"end\Z")
    assert validate_pattern(MatchKind.REGEX, r" \b(?:ukrain\w*|kyiv)\b ") == (
        r"\b(?:ukrain\w*|kyiv)\b"
    )


def test_regex_rules_ignore_case_and_see_the_first_100_kb_of_a_field() -> None:
    text = "x" * (MATCHED_TEXT_BYTES - 10) + " Ceasefire agreed"
    fields = ArticleFields("Title", text, "", "Wire")
    assert evaluate([regex_rule("ceasefire")], "all", fields).passed is False
    early = ArticleFields("Title", "CEASEFIRE " + text, "", "Wire")
    assert evaluate([regex_rule("ceasefire")], "all", early).passed is True


def test_a_rule_stored_before_re2_never_runs_and_says_so() -> None:
    fields = ArticleFields("aaa", "", "", "Wire")
    verdict = evaluate([regex_rule("(.*)*(?!)")], "all", fields)
    assert verdict.passed is False
    assert "cannot run on Newsdesk's regex engine" in verdict.reason
    # As an exclude rule it excludes nothing.
    assert evaluate([regex_rule("(a)\\1", "exclude")], "all", fields).passed is True


def test_many_heavy_rules_on_a_long_article_stay_within_the_budget() -> None:
    rules = [
        regex_rule(HEAVY[number % len(HEAVY)], "exclude", number)
        for number in range(MAX_FILTER_RULES_PER_SERVER)
    ]
    fields = ArticleFields("t", hostile_text(1_000_000), "", "Wire")
    started = time.monotonic()
    verdict = evaluate(rules, "all", fields)
    elapsed = time.monotonic() - started
    # The budget, plus the one rule already running when it ran out.
    assert elapsed < RULES_TIME_BUDGET_SECONDS + 0.5, elapsed
    assert verdict.passed is True


async def test_evaluating_off_the_loop_leaves_it_free() -> None:
    rules = [regex_rule(HEAVY[number % len(HEAVY)], "exclude", number) for number in range(12)]
    fields = ArticleFields("t", hostile_text(MATCHED_TEXT_BYTES), "", "Wire")
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    await evaluate_off_loop(rules, "all", fields)
    busy = time.monotonic() - started
    ticker.cancel()
    assert busy > 0.05  # there was real work to hide
    assert max(gaps) < 0.1, max(gaps)


async def _subscribe(repositories: Repositories) -> int:
    snapshot = FeedSnapshot(
        url="https://a.example/feed", title="Wire", site_url=None, etag=None,
        last_modified=None, body_sha256="x", interval_seconds=900, next_check_at=NOW,
        entries=[],
    )
    outcome = await repositories.subscriptions.subscribe(
        GUILD, 1001, snapshot, created_by=1, now=NOW, max_feeds=50, backfill=0
    )
    return outcome.subscription.id


async def test_a_server_has_at_most_so_many_filter_rules(
    services: Services, repositories: Repositories
) -> None:
    subscription = await _subscribe(repositories)
    target = await services.follows.target(GUILD, "subscription", subscription)
    for number in range(MAX_FILTER_RULES_PER_SERVER):
        await services.follows.add_rule(
            GUILD, target, action="exclude", field="any", match="word", pattern=f"w{number}"
        )
    with pytest.raises(LimitReached) as refused:
        await services.follows.add_rule(
            GUILD, target, action="exclude", field="any", match="regex", pattern="x"
        )
    assert refused.value.message == (
        f"This server already has {MAX_FILTER_RULES_PER_SERVER} filters, the most allowed "
        f"({MAX_FILTER_RULES_PER_SERVER}). Remove one with /filter remove first."
    )
    rules = await services.follows.rules(GUILD, target)
    await services.follows.remove_rule(GUILD, rules[0].id)
    await services.follows.add_rule(
        GUILD, target, action="exclude", field="any", match="regex", pattern="x"
    )
