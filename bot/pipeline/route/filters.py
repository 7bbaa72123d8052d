"""Filters: include and exclude rules over an article's title, text, author and source.

Rules:
- A rule matches a word (whole word, any case), a phrase (any case, spacing ignored) or a
  regular expression (the ``regex`` engine, case-insensitive, with a time limit per search:
  a pathological pattern cannot stall the bot; a search that times out counts as no match
  and says so).
- An article passes when no exclude rule matches and its include rules match: all of them
  (mode ``all``) or at least one (mode ``any``). No include rule means everything is
  included.
- Patterns are checked when they are added: an invalid regex, an empty or over-long pattern
  is refused with a sentence saying what to fix.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from bot.core.errors import InvalidInput
from bot.core.models import FilterField, FilterRule, MatchKind

REGEX_TIMEOUT_SECONDS = 0.05
MAX_PATTERN_LENGTH = 300


@dataclass(frozen=True)
class ArticleFields:
    """The parts of an article rules can look at."""

    title: str
    text: str
    author: str
    source: str

    def value(self, field: FilterField) -> str:
        """Return the text a rule on ``field`` searches."""
        if field is FilterField.ANY:
            return "\n".join((self.title, self.text, self.author, self.source))
        return str(getattr(self, field.value))


@dataclass(frozen=True)
class Verdict:
    """Whether an article passes a set of rules, and the rule that decided."""

    passed: bool
    reason: str


@functools.lru_cache(maxsize=8192)
def _compiled(kind: MatchKind, pattern: str) -> regex.Pattern[str]:
    if kind is MatchKind.REGEX:
        return regex.compile(pattern, regex.IGNORECASE | regex.VERSION1)
    words = [regex.escape(word) for word in pattern.split()]
    body = r"\s+".join(words)
    if kind is MatchKind.WORD:
        body = rf"(?<!\w){body}(?!\w)"
    return regex.compile(body, regex.IGNORECASE)


def validate_pattern(kind: MatchKind, pattern: str) -> str:
    """Return the pattern to store, or refuse one that cannot work.

    Raises:
        InvalidInput: the pattern is empty, too long, or not a valid regular expression.
    """
    cleaned = pattern.strip()
    if not cleaned:
        raise InvalidInput("Give a word, phrase or pattern for the filter.")
    if len(cleaned) > MAX_PATTERN_LENGTH:
        raise InvalidInput(f"Filter patterns are at most {MAX_PATTERN_LENGTH} characters.")
    if kind is MatchKind.WORD and len(cleaned.split()) > 1:
        raise InvalidInput("A word filter takes one word; use match:phrase for several words.")
    try:
        _compiled(kind, cleaned)
    except regex.error as error:
        raise InvalidInput(f"That regular expression is not valid: {error}.") from None
    return cleaned


def rule_matches(rule: FilterRule, fields: ArticleFields) -> tuple[bool, bool]:
    """Return (matched, timed_out) for one rule on one article."""
    try:
        found = _compiled(rule.match_kind, rule.pattern).search(
            fields.value(rule.field), timeout=REGEX_TIMEOUT_SECONDS
        )
    except TimeoutError:
        return False, True
    return found is not None, False


def evaluate(rules: Sequence[FilterRule], mode: str, fields: ArticleFields) -> Verdict:
    """Decide whether an article passes ``rules`` (see the module rules)."""
    includes: list[tuple[FilterRule, bool]] = []
    for rule in rules:
        matched, timed_out = rule_matches(rule, fields)
        suffix = " (the pattern took too long and was given up)" if timed_out else ""
        if rule.action == "exclude" and matched:
            return Verdict(False, f"excluded by {rule.describe()}")
        if rule.action == "include":
            includes.append((rule, matched))
            if timed_out and mode == "all":
                return Verdict(False, f"not included: {rule.describe()}{suffix}")
    if not includes:
        return Verdict(True, "no include rule")
    if mode == "any":
        hit = next((rule for rule, matched in includes if matched), None)
        if hit is None:
            return Verdict(False, "matches none of the include rules")
        return Verdict(True, f"included by {hit.describe()}")
    missed = next((rule for rule, matched in includes if not matched), None)
    if missed is not None:
        return Verdict(False, f"not included: {missed.describe()} does not match")
    return Verdict(True, "matches every include rule")
