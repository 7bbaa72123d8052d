"""Filters: include and exclude rules over an article's title, text, author and source.

Rules:
- A rule matches a word (whole word, any case), a phrase (any case, spacing ignored) or a
  regular expression (RE2, any case: see ``bot.pipeline.route.user_regex`` for what patterns
  may use and why matching time is linear).
- Every rule looks at the first ``MATCHED_TEXT_BYTES`` of its field (UTF-8), so the cost of
  a rule is bounded whatever the size of the article.
- One evaluation (one subscription's or follow's rules on one article) spends at most
  ``RULES_TIME_BUDGET_SECONDS`` on regular expressions: a regex rule reached after that, or
  one stored before RE2 that RE2 cannot run, counts as no match and says so. Word and phrase
  rules always run (their patterns are built here from escaped words).
- An article passes when no exclude rule matches and its include rules match: all of them
  (mode ``all``) or at least one (mode ``any``). No include rule means everything is
  included.
- Patterns are checked when they are added: an empty, over-long or unrunnable pattern is
  refused with a sentence saying what to fix. A server has at most
  ``MAX_FILTER_RULES_PER_SERVER`` rules (checked by the follow service).
- Evaluating is CPU work: from async code, call ``evaluate_off_loop`` (or run ``evaluate`` in
  a thread), never ``evaluate`` on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import regex

from bot.core.errors import InvalidInput
from bot.core.models import FilterField, FilterRule, MatchKind
from bot.pipeline.route.user_regex import checked_regex, usable_regex

MAX_PATTERN_LENGTH = 200
"""Characters in one filter pattern."""

MAX_FILTER_RULES_PER_SERVER = 50
"""Filter rules of one server, over all its subscriptions and follows."""

MATCHED_TEXT_BYTES = 100_000
"""How much of each field (UTF-8 bytes) a rule looks at."""

RULES_TIME_BUDGET_SECONDS = 0.25
"""Time one evaluation may spend on regular expressions before giving up the rest."""

_GAVE_UP = " (the filter's time budget ran out before this pattern was tried)"
_CANNOT_RUN = " (the pattern cannot run on Newsdesk's regex engine: replace it)"


def phrase_regex(phrase: str, *, whole_words: bool) -> regex.Pattern[str] | None:
    """Return the any-case pattern of a word or phrase (any spacing between its words).

    With ``whole_words`` it does not match inside a longer word. A blank phrase has none.
    """
    words = [regex.escape(word) for word in phrase.split()]
    if not words:
        return None
    body = r"\s+".join(words)
    if whole_words:
        body = rf"(?<!\w){body}(?!\w)"
    return regex.compile(body, regex.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _word_or_phrase(kind: MatchKind, pattern: str) -> regex.Pattern[str] | None:
    return phrase_regex(pattern, whole_words=kind is MatchKind.WORD)


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


@dataclass
class _BoundedTexts:
    """Each field's first ``MATCHED_TEXT_BYTES``, as text and as UTF-8, made once."""

    fields: ArticleFields
    made: dict[FilterField, tuple[str, bytes]] = field(default_factory=dict)

    def of(self, which: FilterField) -> tuple[str, bytes]:
        found = self.made.get(which)
        if found is None:
            encoded = self.fields.value(which).encode("utf-8", "replace")[:MATCHED_TEXT_BYTES]
            found = self.made[which] = (encoded.decode("utf-8", "ignore"), encoded)
        return found


@dataclass(frozen=True)
class Verdict:
    """Whether an article passes a set of rules, and the rule that decided."""

    passed: bool
    reason: str


def validate_pattern(kind: MatchKind, pattern: str) -> str:
    """Return the pattern to store, or refuse one that cannot work.

    Compiles a regular expression (up to ~20 ms): call it off the event loop.

    Raises:
        InvalidInput: the pattern is empty, too long, or not one RE2 can run.
    """
    cleaned = pattern.strip()
    if not cleaned:
        raise InvalidInput("Give a word, phrase or pattern for the filter.")
    if len(cleaned) > MAX_PATTERN_LENGTH:
        raise InvalidInput(
            f"Filter patterns are at most {MAX_PATTERN_LENGTH} characters: shorten this one "
            f"({len(cleaned)})."
        )
    if kind is MatchKind.WORD and len(cleaned.split()) > 1:
        raise InvalidInput("A word filter takes one word; use match:phrase for several words.")
    if kind is MatchKind.REGEX:
        return checked_regex(cleaned)
    return cleaned


def _rule_outcome(
    rule: FilterRule, texts: _BoundedTexts, budget_end: float
) -> tuple[bool, str]:
    """Return (matched, why it was not tried) for one rule; the reason is "" when it ran."""
    text, encoded = texts.of(rule.field)
    if rule.match_kind is not MatchKind.REGEX:
        pattern = _word_or_phrase(rule.match_kind, rule.pattern)
        return pattern is not None and pattern.search(text) is not None, ""
    if time.monotonic() >= budget_end:
        return False, _GAVE_UP
    compiled = usable_regex(rule.pattern)
    if compiled is None:
        return False, _CANNOT_RUN
    return compiled.search(encoded) is not None, ""


def evaluate(
    rules: Sequence[FilterRule], mode: str, fields: ArticleFields, *,
    deadline: float | None = None,
) -> Verdict:
    """Decide whether an article passes ``rules`` (see the module rules).

    ``deadline`` (a ``time.monotonic()`` instant) ends the regex budget sooner, for callers
    that share one budget over several evaluations.
    """
    budget_end = time.monotonic() + RULES_TIME_BUDGET_SECONDS
    if deadline is not None:
        budget_end = min(budget_end, deadline)
    texts = _BoundedTexts(fields)
    includes: list[tuple[FilterRule, bool]] = []
    for rule in rules:
        matched, untried = _rule_outcome(rule, texts, budget_end)
        if rule.action == "exclude" and matched:
            return Verdict(False, f"excluded by {rule.describe()}")
        if rule.action == "include":
            includes.append((rule, matched))
            if untried and mode == "all":
                return Verdict(False, f"not included: {rule.describe()}{untried}")
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


async def evaluate_off_loop(
    rules: Sequence[FilterRule], mode: str, fields: ArticleFields
) -> Verdict:
    """``evaluate`` in a worker thread (RE2 releases the GIL while it matches)."""
    return await asyncio.to_thread(evaluate, rules, mode, fields)
