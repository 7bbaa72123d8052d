"""The in-memory follow index: the same posts as matching every follow, and never stale.

The first half checks ``TopicIndex`` against matching every follow of the feed's servers
one by one (the rules of ``bot.pipeline.route.topics``), on chosen cases and on random worlds;
the second half changes follows, filters and subscriptions on a real SQLite file, through the
services
and repositories the commands use, and checks the next article sees the change.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.services import Services
from bot.core.models import FeedSnapshot, FilterField, FilterRule, Follow, MatchKind
from bot.pipeline.route.filters import ArticleFields
from bot.pipeline.route.follow_index import FollowIndex, TopicIndex
from bot.pipeline.route.topics import ArticleTopics, FollowPost, posts_for_follows
from storage import Database, Repositories
from storage.articles import details_from_json

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GUILD_A, GUILD_B = 111, 222
CHANNEL_A, CHANNEL_A2, CHANNEL_B = 1001, 1002, 2001
FEED_1, FEED_2 = 1, 2


def follow(
    follow_id: int, guild_id: int, kind: str, topic: str, *,
    subscription_ids: tuple[int, ...] | None = None, role_id: int | None = None,
) -> Follow:
    return Follow(follow_id, guild_id, guild_id * 10, kind, topic, role_id, subscription_ids,
                  "all")


def topics_of(title: str, text: str, **names: object) -> ArticleTopics:
    return ArticleTopics.from_reading(details_from_json(json.dumps(names)), title, text)


def fields_of(title: str, text: str) -> ArticleFields:
    return ArticleFields(title=title, text=text, author="", source="Wire")


def every_follow(
    follows: Sequence[Follow], subscribers: dict[int, dict[int, list[int]]], feed_id: int,
    rules: dict[int, list[FilterRule]], topics: ArticleTopics, fields: ArticleFields,
) -> list[FollowPost]:
    """What the reader posted before the index: every follow of the feed's servers."""
    servers = subscribers.get(feed_id, {})
    candidates = [(f, servers[f.guild_id]) for f in follows if f.guild_id in servers]
    return posts_for_follows(candidates, rules, topics, fields)


# Server A: subscriptions 1 (feed 1) and 2 (feed 2); server B: subscription 3 (feed 2).
SUBSCRIBERS = {FEED_1: {GUILD_A: [1]}, FEED_2: {GUILD_A: [2], GUILD_B: [3]}}


def test_an_acronym_follow_matches_through_the_aliases_reading_stored() -> None:
    follows = [follow(1, GUILD_A, "organization", "CSTO")]
    index = TopicIndex.build(1, follows, {}, SUBSCRIBERS)
    text = "Forces of the Collective Security Treaty Organization left on Wednesday."
    topics = topics_of("Troops leave", text, organizations=[
        {"name": "Collective Security Treaty Organization", "aliases": ["CSTO"]}
    ])
    assert "csto" not in topics.words  # only the stored alias can find it
    assert [p.follow_id for p in index.posts(FEED_1, topics, fields_of("Troops leave", text))] \
        == [1]
    no_alias = topics_of("Troops leave", text, organizations=[
        {"name": "Collective Security Treaty Organization", "aliases": []}
    ])
    assert index.posts(FEED_1, no_alias, fields_of("Troops leave", text)) == []


def test_a_phrase_matches_across_a_line_break_and_only_as_whole_words() -> None:
    follows = [follow(1, GUILD_A, "keyword", "Grain Corridor")]
    index = TopicIndex.build(1, follows, {}, SUBSCRIBERS)
    text = "Officials said the grain\ncorridor stays open."
    assert [p.follow_id for p in index.posts(FEED_1, topics_of("", text), fields_of("", text))] \
        == [1]
    other = "The grain corridors and a corridor of grain."
    assert index.posts(FEED_1, topics_of("", other), fields_of("", other)) == []


def test_a_person_is_keyed_by_the_word_fewest_topics_share() -> None:
    follows = [
        follow(1, GUILD_A, "person", "Anna Petrova"),
        follow(2, GUILD_A, "person", "Anna Novak"),
        follow(3, GUILD_A, "person", "Anna Silva"),
    ]
    index = TopicIndex.build(1, follows, {}, SUBSCRIBERS)
    assert set(index.by_word) == {"petrova", "novak", "silva"}
    text = "Anna Silva met Anna Novak's aides."
    topics = topics_of("", text)
    assert [f.id for f in index.candidates(FEED_1, topics)] == [2, 3]
    assert [p.follow_id for p in index.posts(FEED_1, topics, fields_of("", text))] == [2, 3]


def test_a_follow_limited_to_feeds_posts_only_for_them() -> None:
    follows = [
        follow(1, GUILD_A, "place", "Astana", subscription_ids=(1,)),
        follow(2, GUILD_A, "place", "Astana", subscription_ids=(2,)),
        follow(3, GUILD_A, "place", "Astana"),
    ]
    index = TopicIndex.build(1, follows, {}, SUBSCRIBERS)
    text = "Ministers met in Astana."
    topics = topics_of("", text, places=["Astana"])
    assert [p.follow_id for p in index.posts(FEED_1, topics, fields_of("", text))] == [1, 3]
    assert [p.follow_id for p in index.posts(FEED_2, topics, fields_of("", text))] == [2, 3]


def test_a_server_never_gets_posts_from_a_feed_it_does_not_follow() -> None:
    follows = [follow(1, GUILD_A, "keyword", "ceasefire"),
               follow(2, GUILD_B, "keyword", "ceasefire", role_id=77)]
    index = TopicIndex.build(1, follows, {}, SUBSCRIBERS)
    text = "A ceasefire was agreed."
    on_1 = index.posts(FEED_1, topics_of("", text), fields_of("", text))
    on_2 = index.posts(FEED_2, topics_of("", text), fields_of("", text))
    assert [(p.guild_id, p.follow_id) for p in on_1] == [(GUILD_A, 1)]
    assert [(p.guild_id, p.follow_id, p.role_id) for p in on_2] == [
        (GUILD_A, 1, None), (GUILD_B, 2, 77)
    ]
    assert index.posts(3, topics_of("", text), fields_of("", text)) == []
    assert not index.followed(3)


def test_a_follow_filter_still_applies() -> None:
    follows = [follow(1, GUILD_A, "keyword", "ceasefire"), follow(2, GUILD_A, "keyword", "talks")]
    rules = {1: [FilterRule(9, "exclude", FilterField.TITLE, MatchKind.WORD, "opinion")]}
    index = TopicIndex.build(1, follows, rules, SUBSCRIBERS)
    text = "Ceasefire talks resume."
    posts = index.posts(FEED_1, topics_of("Opinion: peace", text), fields_of("Opinion: peace",
                                                                                text))
    assert [p.follow_id for p in posts] == [2]


VOCABULARY = (
    "ceasefire", "Grain", "corridor", "Straße", "STRASSE", "İstanbul", "istanbul", "C++",
    "++", "U.N.", "e-mail", "naïve", "ﬁnance", "finance", "Anna", "Petrova", "CSTO", "the",
    "Astana", "new", "York", "ΣΊΣΥΦΟΣ", "σίσυφος", "42", "_", "--", "Ǆemal",
)


def random_topic(rng: random.Random) -> str:
    if rng.random() < 0.03:
        return rng.choice(("", "   ", "++", "--"))
    return " ".join(rng.choices(VOCABULARY, k=rng.randint(1, 3)))


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(("", "++ -- ++", "..."))
    parts = rng.choices([*VOCABULARY, "and", "said", ",", ".", "\n"], k=rng.randint(1, 40))
    return rng.choice((" ", "  ", "\n")).join(parts)


@pytest.mark.parametrize("seed", range(40))
def test_random_worlds_post_exactly_what_matching_every_follow_posts(seed: int) -> None:
    rng = random.Random(seed)
    guilds = [100 + number for number in range(rng.randint(1, 6))]
    feeds = list(range(1, 5))
    subscribers: dict[int, dict[int, list[int]]] = {}
    next_subscription = 1
    for guild in guilds:
        for feed_id in rng.sample(feeds, k=rng.randint(0, len(feeds))):
            ids = list(range(next_subscription, next_subscription + rng.randint(1, 2)))
            next_subscription += len(ids)
            subscribers.setdefault(feed_id, {})[guild] = ids
    follows: list[Follow] = []
    rules: dict[int, list[FilterRule]] = {}
    for follow_id in range(1, rng.randint(1, 60)):
        limited = None
        if rng.random() < 0.2:
            limited = tuple(rng.sample(range(1, next_subscription + 1), k=2))
        follows.append(Follow(
            follow_id, rng.choice(guilds), rng.randint(1, 3),
            rng.choice(("keyword", "person", "organization", "place")), random_topic(rng),
            rng.choice((None, 5)), limited, rng.choice(("all", "any")),
        ))
        if rng.random() < 0.2:
            rules[follow_id] = [FilterRule(follow_id, "exclude", FilterField.ANY, MatchKind.WORD,
                                           rng.choice(VOCABULARY))]
    index = TopicIndex.build(1, follows, rules, subscribers)
    for _ in range(30):
        title, text = random_text(rng), random_text(rng)
        names = {
            kind: rng.sample([random_topic(rng) for _ in range(6)], k=rng.randint(0, 3))
            for kind in ("people", "places")
        }
        organizations = [{"name": random_topic(rng), "aliases": [random_topic(rng)]}
                         for _ in range(rng.randint(0, 2))]
        topics = topics_of(title, text, organizations=organizations, **names)
        fields = fields_of(title, text)
        for feed_id in (*feeds, 99):
            expected = every_follow(follows, subscribers, feed_id, rules, topics, fields)
            assert index.posts(feed_id, topics, fields) == sorted(
                expected, key=lambda post: post.follow_id
            )


# With SQLite: every kind of change reaches the next article.

ARTICLE_TITLE = "Ceasefire talks in Astana"
ARTICLE_TEXT = "Opinion: the ceasefire talks in Astana resume, the CSTO said."
ARTICLE_DETAILS = details_from_json(json.dumps({"places": ["Astana"], "organizations": [
    {"name": "Collective Security Treaty Organization", "aliases": ["CSTO"]}
]}))


def snapshot(url: str) -> FeedSnapshot:
    return FeedSnapshot(
        url=url, title="Wire", site_url=None, etag=None, last_modified=None,
        body_sha256="abc", interval_seconds=600, next_check_at=NOW + timedelta(minutes=10),
        entries=[],
    )


async def subscribe(repositories: Repositories, guild_id: int, channel_id: int, url: str) -> (
    tuple[int, int]
):
    """Subscribe a channel; return the subscription and feed ids."""
    result = await repositories.subscriptions.subscribe(
        guild_id, channel_id, snapshot(url), created_by=1, now=NOW, max_feeds=50
    )
    return result.subscription.id, result.subscription.feed_id


async def routed(index: FollowIndex, feed_id: int) -> list[tuple[int, int]]:
    """Route the test article from ``feed_id``; return (server, follow) per post."""
    posts = await index.posts_for(
        feed_id, ARTICLE_DETAILS, fields_of(ARTICLE_TITLE, ARTICLE_TEXT)
    )
    return [(post.guild_id, post.follow_id) for post in posts]


async def test_follows_added_and_removed_reach_the_next_article(
    services: Services, repositories: Repositories
) -> None:
    _, feed = await subscribe(repositories, GUILD_A, CHANNEL_A, "https://a.example/feed")
    index = FollowIndex(repositories)
    assert await routed(index, feed) == []
    added, _ = await services.follows.add(
        GUILD_A, CHANNEL_A2, "keyword", "ceasefire talks", role_id=None, feeds=None, added_by=1
    )
    assert await routed(index, feed) == [(GUILD_A, added.id)]
    other, _ = await services.follows.add(
        GUILD_A, CHANNEL_A2, "organization", "csto", role_id=None, feeds=None, added_by=1
    )
    assert await routed(index, feed) == [(GUILD_A, added.id), (GUILD_A, other.id)]
    await services.follows.remove(GUILD_A, added.id)
    assert await routed(index, feed) == [(GUILD_A, other.id)]


async def test_filter_changes_reach_the_next_article(
    services: Services, repositories: Repositories
) -> None:
    _, feed = await subscribe(repositories, GUILD_A, CHANNEL_A, "https://a.example/feed")
    index = FollowIndex(repositories)
    added, _ = await services.follows.add(
        GUILD_A, CHANNEL_A2, "place", "Astana", role_id=None, feeds=None, added_by=1
    )
    assert await routed(index, feed) == [(GUILD_A, added.id)]
    target = await services.follows.target(GUILD_A, "follow", added.id)
    rule = await services.follows.add_rule(
        GUILD_A, target, action="exclude", field="text", match="word", pattern="opinion"
    )
    assert await routed(index, feed) == []
    await services.follows.remove_rule(GUILD_A, rule.id)
    assert await routed(index, feed) == [(GUILD_A, added.id)]
    for pattern in ("opinion", "breaking"):
        await services.follows.add_rule(
            GUILD_A, target, action="include", field="text", match="word", pattern=pattern
        )
    assert await routed(index, feed) == []  # mode "all": "breaking" is missing
    await services.follows.set_mode(GUILD_A, target, "any")
    assert await routed(index, feed) == [(GUILD_A, added.id)]


async def test_subscription_changes_reach_the_next_article(
    services: Services, repositories: Repositories
) -> None:
    sub_a, feed = await subscribe(repositories, GUILD_A, CHANNEL_A, "https://a.example/feed")
    index = FollowIndex(repositories)
    mine, _ = await services.follows.add(
        GUILD_A, CHANNEL_A2, "keyword", "ceasefire", role_id=None, feeds=None, added_by=1
    )
    theirs, _ = await services.follows.add(
        GUILD_B, CHANNEL_B, "keyword", "ceasefire", role_id=None, feeds=None, added_by=2
    )
    assert await routed(index, feed) == [(GUILD_A, mine.id)]  # B is not on the feed yet
    sub_b, _ = await subscribe(repositories, GUILD_B, CHANNEL_B, "https://a.example/feed")
    assert await routed(index, feed) == [(GUILD_A, mine.id), (GUILD_B, theirs.id)]
    await repositories.subscriptions.disable(GUILD_B, sub_b, "403 from Discord")
    assert await routed(index, feed) == [(GUILD_A, mine.id)]
    await services.subscriptions.remove(GUILD_A, sub_a)
    assert await routed(index, feed) == []
    assert await repositories.subscriptions.enable(GUILD_B, sub_b, [], NOW)
    assert await routed(index, feed) == [(GUILD_B, theirs.id)]
    await services.subscriptions.forget_guild(GUILD_B)
    assert await routed(index, feed) == []


async def test_a_follow_limited_to_a_subscription_follows_the_subscription(
    services: Services, repositories: Repositories
) -> None:
    sub_1, feed_1 = await subscribe(repositories, GUILD_A, CHANNEL_A, "https://a.example/one")
    _, feed_2 = await subscribe(repositories, GUILD_A, CHANNEL_A, "https://a.example/two")
    index = FollowIndex(repositories)
    limited, _ = await services.follows.add(
        GUILD_A, CHANNEL_A2, "place", "Astana", role_id=None, feeds=str(sub_1), added_by=1
    )
    assert await routed(index, feed_1) == [(GUILD_A, limited.id)]
    assert await routed(index, feed_2) == []
    # Re-adding the same follow for every feed updates it in place.
    await services.follows.add(
        GUILD_A, CHANNEL_A2, "place", "Astana", role_id=None, feeds=None, added_by=1
    )
    assert await routed(index, feed_2) == [(GUILD_A, limited.id)]


async def test_a_change_written_by_another_connection_is_seen(
    repositories: Repositories, tmp_path: Path
) -> None:
    _, feed = await subscribe(repositories, GUILD_A, CHANNEL_A, "https://a.example/feed")
    index = FollowIndex(repositories)
    assert await routed(index, feed) == []
    other = await Database.open(tmp_path / "newsdesk.sqlite3")
    try:
        added, _ = await Repositories.over(other).follows.add(
            GUILD_A, CHANNEL_A2, "keyword", "ceasefire", role_id=None, subscription_ids=None,
            created_by=1, now=NOW,
        )
    finally:
        await other.close()
    assert await routed(index, feed) == [(GUILD_A, added.id)]


async def test_articles_read_together_after_a_change_load_the_index_once(
    repositories: Repositories,
) -> None:
    _, feed = await subscribe(repositories, GUILD_A, CHANNEL_A, "https://a.example/feed")
    loads = 0

    class CountingIndex(FollowIndex):
        async def load(self) -> TopicIndex:
            nonlocal loads
            loads += 1
            return await super().load()

    index = CountingIndex(repositories)
    await routed(index, feed)
    await repositories.follows.add(
        GUILD_A, CHANNEL_A2, "keyword", "ceasefire", role_id=None, subscription_ids=None,
        created_by=1, now=NOW,
    )
    results = await asyncio.gather(*(routed(index, feed) for _ in range(4)))
    assert loads == 2
    assert all(len(result) == 1 for result in results)


def test_topics_without_their_word_set_are_matched_against_every_follow() -> None:
    # ``ArticleTopics`` built by hand has no word set; ``follow_matches`` then searches the
    # text for every topic, so the index must not rule anything out by words either.
    follows = [follow(1, GUILD_A, "keyword", "ceasefire")]
    index = TopicIndex.build(1, follows, {}, SUBSCRIBERS)
    text = "A ceasefire was agreed."
    topics = ArticleTopics(frozenset(), frozenset(), frozenset(), text)
    assert [p.follow_id for p in index.posts(FEED_1, topics, fields_of("", text))] == [1]
