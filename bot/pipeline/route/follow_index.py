"""Routing articles to follows from memory: every follow, indexed by what can make it match.

Rules:
- Every follow, its filter rules and the servers subscribed to each feed are loaded once and
  loaded again, whole, when the database's routing generation moves. Triggers bump it on any
  change to follows, follow filters or subscriptions, whoever writes it (a command, guild
  removal, a delivery that disables a subscription, another process), so no service has to
  remember to say so.
- An article is matched only against the follows that could match it under the rules of
  ``bot.pipeline.route.topics``: a person, organisation or place whose topic is one of the names
  reading found of that kind; a follow whose key word (the word of its topic that the fewest topics
  share) is one of the article's words; a follow whose topic has no word at all. An article
  without words is matched against every follow of its feed's servers.
  ``posts_for_follows`` then decides as it always did, so the posts are exactly those of
  matching every follow one by one.
- A follow is considered only if its server has an enabled subscription to the article's
  feed, and it is given that server's subscriptions to the feed (never another server's), so
  a follow limited to other feeds stays silent.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.models import ArticleDetails, FilterRule, Follow
from bot.pipeline.route.filters import ArticleFields
from bot.pipeline.route.topics import ArticleTopics, FollowPost, phrase_pattern, posts_for_follows
from storage import Repositories

NAME_KINDS = ("person", "organization", "place")


def _names(topics: ArticleTopics) -> tuple[tuple[str, frozenset[str]], ...]:
    return (
        ("person", topics.people),
        ("organization", topics.organizations),
        ("place", topics.places),
    )


@dataclass(frozen=True)
class TopicIndex:
    """One consistent copy of the follows, the servers on each feed, and the lookups."""

    generation: int
    by_name: Mapping[tuple[str, str], Sequence[Follow]]
    by_word: Mapping[str, Sequence[Follow]]
    wordless: Sequence[Follow]
    by_guild: Mapping[int, Sequence[Follow]]
    rules: dict[int, list[FilterRule]]
    # feed id -> server -> its enabled subscriptions to the feed; servers without follows
    # are left out, so a feed none of whose servers follows anything costs nothing.
    servers_on_feed: Mapping[int, Mapping[int, list[int]]]

    @classmethod
    def build(
        cls,
        generation: int,
        follows: Sequence[Follow],
        rules: Mapping[int, list[FilterRule]],
        subscribers: Mapping[int, Mapping[int, list[int]]],
    ) -> TopicIndex:
        """Index ``follows`` by name and key word; keep the subscribers of followed servers."""
        topic_words = {follow.topic: phrase_pattern(follow.topic) for follow in follows}
        # How many distinct topics use each word: the rarest word of a topic is its key, so
        # an article naming "Anna" does not examine every Anna that anyone follows.
        shared = Counter(word for words, _ in topic_words.values() for word in words)
        by_name: dict[tuple[str, str], list[Follow]] = {}
        by_word: dict[str, list[Follow]] = {}
        wordless: list[Follow] = []
        by_guild: dict[int, list[Follow]] = {}
        for follow in follows:
            by_guild.setdefault(follow.guild_id, []).append(follow)
            if follow.kind in NAME_KINDS:
                by_name.setdefault((follow.kind, follow.topic.casefold()), []).append(follow)
            words, pattern = topic_words[follow.topic]
            if pattern is None:
                continue  # a blank topic is never mentioned (``topics.mentions``)
            if not words:
                wordless.append(follow)
                continue
            key = min(words, key=lambda word: (shared[word], -len(word), word))
            by_word.setdefault(key, []).append(follow)
        servers_on_feed = {
            feed_id: {
                guild_id: list(ids) for guild_id, ids in servers.items() if guild_id in by_guild
            }
            for feed_id, servers in subscribers.items()
        }
        return cls(
            generation=generation,
            by_name=by_name,
            by_word=by_word,
            wordless=wordless,
            by_guild=by_guild,
            rules=dict(rules),
            servers_on_feed={feed: servers for feed, servers in servers_on_feed.items() if servers},
        )

    def followed(self, feed_id: int) -> bool:
        """Return whether any server on this feed follows anything."""
        return feed_id in self.servers_on_feed

    def candidates(self, feed_id: int, topics: ArticleTopics) -> list[Follow]:
        """Return, by id, the follows of the feed's servers that could match the article."""
        servers = self.servers_on_feed.get(feed_id)
        if not servers:
            return []
        if not topics.words:
            # ``follow_matches`` skips its word-set check then: only a full scan is exact.
            found = {f.id: f for guild_id in servers for f in self.by_guild.get(guild_id, ())}
            return [found[follow_id] for follow_id in sorted(found)]
        lists: list[Iterable[Follow]] = [self.wordless]
        lists.extend(self.by_word[word] for word in topics.words if word in self.by_word)
        for kind, names in _names(topics):
            lists.extend(self.by_name[kind, name] for name in names if (kind, name) in self.by_name)
        found = {f.id: f for follows in lists for f in follows if f.guild_id in servers}
        return [found[follow_id] for follow_id in sorted(found)]

    def posts(self, feed_id: int, topics: ArticleTopics, fields: ArticleFields) -> list[FollowPost]:
        """Return the posts the follows ask for, as ``posts_for_follows`` over every follow
        of the feed's servers would."""
        servers = self.servers_on_feed.get(feed_id, {})
        chosen = [(follow, servers[follow.guild_id]) for follow in self.candidates(feed_id, topics)]
        return posts_for_follows(chosen, self.rules, topics, fields)


class FollowIndex:
    """The reader's copy of the follows, reloaded when the database says they changed."""

    def __init__(self, repositories: Repositories) -> None:
        self._repos = repositories
        self._index: TopicIndex | None = None
        self._loading = asyncio.Lock()

    async def current(self) -> TopicIndex:
        """Return the index, reloading it first if a follow, filter or subscription changed."""
        generation = await self._repos.follows.routing_generation()
        index = self._index
        if index is not None and index.generation == generation:
            return index
        # Articles are read a few at a time: the first one to notice reloads, the others
        # wait for it instead of each loading the same rows.
        async with self._loading:
            index = self._index
            if index is None or index.generation != generation:
                index = await self.load()
        return index

    async def load(self) -> TopicIndex:
        """Load every follow, follow rule and enabled subscription, and index them."""
        # The generation is read first: a change landing while the rows load leaves this
        # copy marked older than the database, so the next article loads again.
        generation = await self._repos.follows.routing_generation()
        follows = await self._repos.follows.every_follow()
        rules = await self._repos.follows.every_follow_rule()
        subscribers = await self._repos.subscriptions.enabled_by_feed()
        index = await asyncio.to_thread(TopicIndex.build, generation, follows, rules, subscribers)
        self._index = index
        return index

    async def posts_for(
        self, feed_id: int, details: ArticleDetails, fields: ArticleFields
    ) -> list[FollowPost]:
        """Return the posts the follows ask for a freshly read article of ``feed_id``.

        Matching (the follows' phrases, then their filter rules within a time budget per
        server) runs in a worker thread, never on the event loop.
        """
        index = await self.current()
        if not index.followed(feed_id):
            return []
        return await asyncio.to_thread(_posts, index, feed_id, details, fields)


def _posts(
    index: TopicIndex, feed_id: int, details: ArticleDetails, fields: ArticleFields
) -> list[FollowPost]:
    topics = ArticleTopics.from_reading(details, fields.title, fields.text)
    return index.posts(feed_id, topics, fields)
