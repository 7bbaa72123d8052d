"""Follows: channels watching a topic across the server's feeds, and their filters.

Rules:
- A follow names a keyword (or phrase), a person, an organisation or a place. It matches an
  article when the article names it: for people, organisations and places, among the names
  reading found (an organisation's aliases count: following "CSTO" matches the Collective
  Security Treaty Organization), else as a whole-word phrase in the title or text; for a
  keyword, as a whole-word phrase in the title or text. Case never matters.
- A follow watches every feed of its server unless it names some of the server's
  subscriptions; its own filters then narrow what it posts.
- Follows apply to articles that arrive by polling (never to a feed's backlog).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from bot.core.models import ArticleDetails, FilterRule, Follow
from bot.pipeline.route.filters import (
    RULES_TIME_BUDGET_SECONDS,
    ArticleFields,
    evaluate,
    phrase_regex,
)

FOLLOW_KINDS = ("keyword", "person", "organization", "place")
MAX_TOPIC_LENGTH = 100
WORD = regex.compile(r"\w+")


@dataclass(frozen=True)
class ArticleTopics:
    """What an article names, case-folded, its searchable text and the words in it."""

    people: frozenset[str]
    organizations: frozenset[str]
    places: frozenset[str]
    text: str
    words: frozenset[str] = frozenset()

    @classmethod
    def from_reading(cls, details: ArticleDetails, title: str, text: str) -> ArticleTopics:
        """Collect the names reading found, with every organisation alias."""
        organizations: set[str] = set()
        for organization in details.organizations:
            organizations.add(organization.name.casefold())
            organizations.update(alias.casefold() for alias in organization.aliases)
        return cls(
            people=frozenset(name.casefold() for name in details.people),
            organizations=frozenset(name for name in organizations if name),
            places=frozenset(name.casefold() for name in details.places),
            text=f"{title}\n{text}",
            words=frozenset(word.casefold() for word in WORD.findall(f"{title}\n{text}")),
        )


@functools.lru_cache(maxsize=65_536)
def phrase_pattern(phrase: str) -> tuple[frozenset[str], regex.Pattern[str] | None]:
    """Return a phrase's words and its whole-word pattern, compiled once per phrase."""
    compiled = phrase_regex(phrase, whole_words=True)
    if compiled is None:
        return frozenset(), None
    return frozenset(word.casefold() for word in WORD.findall(phrase)), compiled


def mentions(text: str, phrase: str, words: frozenset[str] | None = None) -> bool:
    """Return whether ``text`` contains ``phrase`` as whole words, in any case.

    With the text's ``words``, a phrase one of whose words is missing is ruled out with a
    set lookup; the pattern decides the rest.
    """
    needed, pattern = phrase_pattern(phrase)
    if pattern is None:
        return False
    if words is not None and not needed <= words:
        return False
    return pattern.search(text) is not None


def follow_matches(follow: Follow, topics: ArticleTopics) -> bool:
    """Return whether an article matches a follow's topic (see the module rules)."""
    topic = follow.topic.casefold()
    names = {
        "person": topics.people,
        "organization": topics.organizations,
        "place": topics.places,
    }.get(follow.kind, frozenset())
    return topic in names or mentions(topics.text, follow.topic, topics.words or None)


@dataclass(frozen=True)
class FollowPost:
    """A post a follow asks for: where, why, and whom to ping."""

    guild_id: int
    channel_id: int
    follow_id: int
    role_id: int | None


def posts_for_follows(
    candidates: Sequence[tuple[Follow, list[int]]],
    rules: dict[int, list[FilterRule]],
    topics: ArticleTopics,
    fields: ArticleFields,
) -> list[FollowPost]:
    """Return the posts the matching follows ask for (one per follow).

    The follows of one server share one regex time budget (``evaluate``'s), so a server's
    many follows cost what one follow's rules may.
    """
    posts: list[FollowPost] = []
    deadlines: dict[int, float] = {}
    for follow, feed_subscriptions in candidates:
        if follow.subscription_ids is not None and not set(follow.subscription_ids) & set(
            feed_subscriptions
        ):
            continue
        if not follow_matches(follow, topics):
            continue
        deadline = deadlines.setdefault(
            follow.guild_id, time.monotonic() + RULES_TIME_BUDGET_SECONDS
        )
        if not evaluate(
            rules.get(follow.id, []), follow.filter_mode, fields, deadline=deadline
        ).passed:
            continue
        posts.append(FollowPost(follow.guild_id, follow.channel_id, follow.id, follow.role_id))
    return posts
