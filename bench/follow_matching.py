"""Follow matching at scale: what routing one new article to the follows costs the reader.

Usage (from the repository root)::

    python -m bench.follow_matching [--servers 1000] [--follows-per-server 10]
                                    [--feeds 2000] [--articles 3000] [--quick]
                                    [--db PATH] [--json PATH] [--reloads 5] [--no-before]

``--quick``: 100 servers, 200 feeds, 100 articles (a second or two). Exit status 1 when
the planted follows do not post as expected or the two paths post differently.

Set-up (not measured): a fresh SQLite file opened with ``Database.open`` (every migration),
then, in one transaction on the database's own connection: ``--feeds`` feeds; ``--servers``
servers, each subscribed to 5-40 feeds drawn with Zipf-like popularity (a few feeds are in
most servers, most feeds in a handful; one feed in fifty of a server's subscriptions is in
two channels, one in twenty is disabled); ``--follows-per-server`` follows per server, of
every kind (keywords and phrases, people, organisations by name or acronym, places) drawn
with Zipf-like popularity from about 1,500 topics, a quarter with filter rules (words,
phrases, regular expressions; include and exclude), a fifth limited to some of the server's
subscriptions, half with a role.

Measured, per article of a deterministic stream (titles and 150-400 word texts naming
people, organisations by full name or acronym, places and keywords, with the ``details``
JSON the reader stores: ``people``, ``organizations`` with ``aliases``, ``places``), from a
feed drawn uniformly among the feeds:

- **routing**: exactly what ``StoryDesk._route`` does for follows,
  ``FollowIndex.posts_for``: the routing generation read through the aiosqlite reader, then
  ``ArticleTopics.from_reading`` and the in-memory index (``TopicIndex.posts``: the follows
  whose name or key word the article contains, then ``posts_for_follows`` on them);
- **matching**: ``from_reading`` + ``TopicIndex.posts`` alone, on the same index (run again
  after routing; the posts must be the same).

Both are reported as median / p95 / max, and by the number of candidate follows (the follows
of the servers subscribed to the article's feed, all of which the reader matched one by one
before the index) with the number the index actually examined. Also measured: loading the
index, and the first article routed after a change (a follow added, then removed, ``--reloads``
times), which pays a whole reload.

**before** (skipped with ``--no-before``): the same stream routed as ``_route`` did before the
index, candidates and their rules queried from SQLite per article (the query is kept in this
file), then ``posts_for_follows`` over every candidate; the posts of both must be identical.

Planted servers check behaviour: an organisation followed by its acronym matches an article
naming only the full name (through the stored aliases); a follow limited to another
subscription, or excluded by a filter, does not post; a phrase matches across a line break.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser, write_figures
from bench.support.synthetic_servers import (
    CHANNEL_BASE,
    FILLER,
    GUILD_BASE,
    USER_ID,
    build_subscriptions,
    file_size,
    percentile,
    words,
    zipf_weights,
)
from bot.core.models import (
    ArticleDetails,
    FilterField,
    FilterRule,
    Follow,
    MatchKind,
    Organization,
)
from bot.pipeline.route.filters import ArticleFields
from bot.pipeline.route.follow_index import FollowIndex
from bot.pipeline.route.topics import ArticleTopics, FollowPost, posts_for_follows
from storage import Database, Repositories
from storage.database import Row

ROLE_BASE = 720_000_000_000_000_000
NOW = 1_790_000_000.0
QUICK_SERVERS = 100
QUICK_FEEDS = 200
QUICK_ARTICLES = 100

FIRST_NAMES = words(
    "Anna Maria Elena Olga Sofia Laura Ines Chloe Amira Fatima Yuki Mei Priya Aisha Nadia "
    "Ivan Pedro Jonas Marco Ahmed Kenji Rahul Tomas Lukas Omar Diego Pavel Karim Sven Jamal "
    "Leila Hana Eva Irina Zara Nina Malik Felix Hugo Arjun"
)
LAST_NAMES = words(
    "Petrova Novak Silva Rossi Haddad Tanaka Sharma Kowalski Dubois Moreau Schmidt Jensen "
    "Okafor Mensah Nakamura Ivanova Garcia Lopez Fischer Weber Baker Kaur Sato Kim Park "
    "Nguyen Tran Costa Romero Bianchi Horvath Varga Popescu Yilmaz Demir Aziz Khan Ali "
    "Mwangi Otieno"
)
ORGANIZATIONS = (
    ("Collective Security Treaty Organization", "CSTO"),
    ("North Atlantic Treaty Organization", "NATO"),
    ("European Union", "EU"),
    ("World Health Organization", "WHO"),
    ("International Monetary Fund", "IMF"),
    ("World Trade Organization", "WTO"),
    ("United Nations", "UN"),
    ("Organization of the Petroleum Exporting Countries", "OPEC"),
    ("European Central Bank", "ECB"),
    ("African Union", "AU"),
    ("Association of Southeast Asian Nations", "ASEAN"),
    ("Shanghai Cooperation Organisation", "SCO"),
    ("International Atomic Energy Agency", "IAEA"),
    ("Eurasian Economic Union", "EAEU"),
    ("Organization for Security and Co-operation in Europe", "OSCE"),
    ("International Criminal Court", "ICC"),
    ("Federal Reserve", "Fed"),
    ("Commonwealth of Independent States", "CIS"),
    ("Gulf Cooperation Council", "GCC"),
    ("Economic Community of West African States", "ECOWAS"),
)
ORG_WORDS_A = words("National Federal Central Regional Northern Coastal Joint Allied United")
ORG_WORDS_B = words(
    "Energy Water Transport Grain Steel Health Science Maritime Labour Mining Aviation Rail"
)
ORG_WORDS_C = words("Agency Council Authority Commission Union Institute Board Alliance")
PLACES = [*words(
    "Kazakhstan Uzbekistan Kyrgyzstan Tajikistan Armenia Azerbaijan Georgia Ukraine Poland "
    "Germany France Spain Italy Portugal Greece Turkey Egypt Nigeria Kenya Ethiopia Ghana "
    "Senegal Morocco Algeria Tunisia Brazil Argentina Chile Peru Colombia Mexico Canada "
    "Japan Korea Vietnam Thailand Indonesia Malaysia Philippines India Pakistan Bangladesh "
    "Nepal Mongolia Iran Iraq Syria Jordan Lebanon Israel Qatar Oman Yemen Sudan Somalia "
    "Almaty Astana Tashkent Bishkek Yerevan Baku Tbilisi Kyiv Warsaw Berlin Paris Madrid "
    "Rome Lisbon Athens Ankara Cairo Lagos Nairobi Accra Dakar Rabat Lima Bogota Santiago "
    "Tokyo Seoul Hanoi Bangkok Jakarta Manila Delhi Mumbai Karachi Dhaka Kathmandu Tehran "
    "Baghdad Damascus Amman Beirut Doha Muscat Khartoum Mogadishu Geneva Vienna Brussels"
), "New York", "Buenos Aires", "Sao Paulo", "Hong Kong", "Cape Town", "Abu Dhabi"]
KEYWORDS = [*words(
    "election inflation ceasefire drought wildfire earthquake semiconductor tariff sanctions "
    "pipeline refinery vaccine outbreak strike protest referendum budget pension uranium "
    "lithium wheat cotton railway airport satellite cyberattack ransomware blockade summit "
    "treaty ruling verdict merger bankruptcy layoffs startup heatwave flood hurricane "
    "typhoon glacier migration asylum border corruption scandal resignation coalition"
),
    "climate change", "grain corridor", "interest rates", "central bank", "supply chain",
    "artificial intelligence", "nuclear power", "human rights", "free trade", "oil price",
    "peace talks", "state visit", "general strike", "power outage", "food prices",
]
FILTER_WORDS = words("sport football opinion podcast advertisement sponsored horoscope recipe")
FILTER_REGEXES = (
    r"\b(elections?|votes?|ballots?)\b",
    r"\b\d+(\.\d+)? ?(million|billion)\b",
    r"^(breaking|live)\b",
    r"\b(minister|president|chancellor)\s+\w+",
)


@dataclass(frozen=True)
class Topic:
    """A followable topic and how an article names it."""

    kind: str
    topic: str  # what a follow stores
    display: str  # what an article's text prints (full name for organisations)
    aliases: tuple[str, ...] = ()


def topic_pool(rng: random.Random) -> list[Topic]:
    """About 1,500 topics: people, organisations (name or acronym followed), places,
    keywords and phrases, most popular first."""
    people = sorted({f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES})
    rng.shuffle(people)
    topics: list[Topic] = []
    organizations: list[tuple[str, str]] = list(ORGANIZATIONS)
    for a in ORG_WORDS_A:
        for b in ORG_WORDS_B:
            for c in ORG_WORDS_C[:3]:
                organizations.append((f"{a} {b} {c}", f"{a[0]}{b[0]}{c[0]}A"))
    for name, acronym in organizations:
        followed = acronym if rng.random() < 0.5 else name
        topics.append(Topic("organization", followed, name, (acronym,)))
    topics += [Topic("person", name, name) for name in people[:600]]
    topics += [Topic("place", name, name) for name in PLACES]
    topics += [Topic("keyword", word, word) for word in KEYWORDS]
    topics += [
        Topic("keyword", f"{word} {noun}", f"{word} {noun}")
        for word in ("solar", "wind", "gas", "coal", "water", "food", "drug", "arms")
        for noun in ("exports", "imports", "prices", "shortage", "deal", "subsidies")
    ]
    rng.shuffle(topics)
    return topics


@dataclass
class World:
    """The servers, subscriptions and follows written to the database."""

    feeds: int
    servers: int
    subscriptions: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    follows: list[tuple[Any, ...]] = field(default_factory=list)
    filters: list[tuple[Any, ...]] = field(default_factory=list)
    feed_servers: dict[int, set[int]] = field(default_factory=dict)
    planted: dict[str, Any] = field(default_factory=dict)


def build_world(seed: int, feeds: int, servers: int, follows_per_server: int) -> World:
    """Build the (deterministic) servers, subscriptions, follows and filters."""
    rng = random.Random(seed)
    world = World(feeds=feeds, servers=servers)
    world.subscriptions = build_subscriptions(rng, feeds, servers)
    by_guild: dict[int, list[tuple[int, int, int, int, int]]] = {}
    for row in world.subscriptions:
        by_guild.setdefault(row[1], []).append(row)
        if row[4]:
            world.feed_servers.setdefault(row[3], set()).add(row[1])
    topics = topic_pool(rng)
    weights = zipf_weights(len(topics), 0.8)
    follow_id = 1
    filter_id = 1
    for server in range(servers):
        guild = GUILD_BASE + server
        subs = by_guild.get(guild, [])
        seen: set[tuple[str, str]] = set()
        while len(seen) < follows_per_server:
            topic = rng.choices(topics, weights=weights, k=1)[0]
            if (topic.kind, topic.topic) in seen:
                continue
            seen.add((topic.kind, topic.topic))
            channel = CHANNEL_BASE + server * 100 + 10 + rng.randrange(3)
            role = ROLE_BASE + server * 10 + rng.randrange(5) if rng.random() < 0.5 else None
            limited = None
            if subs and rng.random() < 0.2:
                some = rng.sample(subs, k=min(len(subs), rng.randint(1, 3)))
                limited = json.dumps(sorted(row[0] for row in some))
            mode = "any" if rng.random() < 0.3 else "all"
            world.follows.append(
                (follow_id, guild, channel, topic.kind, topic.topic, role, limited, mode,
                 USER_ID, NOW)
            )
            if rng.random() < 0.25:
                for _ in range(rng.randint(1, 2)):
                    roll = rng.random()
                    if roll < 0.5:
                        rule = ("exclude", rng.choice(("any", "title")), "word",
                                rng.choice(FILTER_WORDS))
                    elif roll < 0.75:
                        rule = ("include", "text", "phrase", rng.choice(KEYWORDS[-15:]))
                    else:
                        rule = ("include", "any", "regex", rng.choice(FILTER_REGEXES))
                    world.filters.append((filter_id, guild, None, follow_id, *rule, NOW))
                    filter_id += 1
            follow_id += 1
    return world


def plant(world: World, follow_id: int, filter_id: int) -> None:
    """Add one planted server on feed 1 (the most popular) whose follows test behaviour."""
    guild = GUILD_BASE + world.servers
    channel = CHANNEL_BASE + world.servers * 100
    sub_here = max(row[0] for row in world.subscriptions) + 1
    sub_other = sub_here + 1
    world.subscriptions += [(sub_here, guild, channel, 1, 1), (sub_other, guild, channel, 2, 1)]
    world.feed_servers.setdefault(1, set()).add(guild)
    world.feed_servers.setdefault(2, set()).add(guild)
    rows = {
        "acronym_via_alias": ("organization", "CSTO", None, None),
        "phrase_across_lines": ("keyword", "Grain Corridor", None, None),
        "person_with_role": ("person", "Zhanar Dzhanuzakova", ROLE_BASE + 999, None),
        "limited_elsewhere": ("place", "Kazakhstan", None, json.dumps([sub_other])),
        "limited_here": ("place", "Astana", None, json.dumps([sub_here])),
        "excluded_by_filter": ("keyword", "ceasefire", None, None),
        "not_named": ("keyword", "hurricane", None, None),
    }
    ids: dict[str, int] = {}
    for offset, (name, (kind, topic, role, limited)) in enumerate(rows.items()):
        fid = follow_id + offset
        ids[name] = fid
        world.follows.append(
            (fid, guild, channel + offset + 1, kind, topic, role, limited, "all", USER_ID, NOW)
        )
    world.filters.append(
        (filter_id, guild, None, ids["excluded_by_filter"], "exclude", "title", "word",
         "opinion", NOW)
    )
    world.planted = {
        "guild": guild,
        "follows": ids,
        "expected": sorted(
            ids[name] for name in ("acronym_via_alias", "phrase_across_lines",
                                   "person_with_role", "limited_here")
        ),
        "role": ROLE_BASE + 999,
    }


@dataclass(frozen=True)
class SyntheticArticle:
    """An article as the reader sees it after reading."""

    feed_id: int
    title: str
    text: str
    author: str
    source: str
    details: ArticleDetails


def synthesise_article(rng: random.Random, topics: Sequence[Topic], feed_id: int) -> (
    SyntheticArticle
):
    """A 150-400 word article naming a few people, organisations, places and keywords."""
    named = rng.sample(list(topics), k=rng.randint(4, 9))
    people = [t.display for t in named if t.kind == "person"]
    orgs = [t for t in named if t.kind == "organization"]
    places = [t.display for t in named if t.kind == "place"]
    mentions: list[str] = []
    for topic in named:
        if topic.kind == "organization" and topic.aliases and rng.random() < 0.5:
            mentions.append(f"the {topic.display} ({topic.aliases[0]})")
        else:
            mentions.append(topic.display)
    words = rng.choices(FILLER, k=rng.randint(150, 400))
    for mention in mentions:
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randrange(len(words)), mention)
    sentences = [" ".join(words[i:i + 18]).capitalize() + "." for i in range(0, len(words), 18)]
    text = "\n\n".join(" ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4))
    lead = named[0].display
    prefix = rng.choice(("", "", "", "Breaking: ", "Opinion: ", "Live: "))
    title = f"{prefix}{lead} {rng.choice(FILLER)} {rng.choice(FILLER)} {named[-1].display}"
    details = ArticleDetails(
        people=tuple(people),
        organizations=tuple(Organization(t.display, tuple(t.aliases)) for t in orgs),
        places=tuple(places),
    )
    return SyntheticArticle(
        feed_id, title, text, f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        f"Feed {feed_id}", details,
    )


def planted_article() -> SyntheticArticle:
    """The article the planted follows are checked on (feed 1)."""
    text = (
        "Ministers of the Collective Security Treaty Organization met in Astana on Tuesday. "
        "Zhanar Dzhanuzakova said the grain\ncorridor would stay open while Kazakhstan and "
        "its neighbours discuss the ceasefire."
    )
    details = ArticleDetails(
        people=("Zhanar Dzhanuzakova",),
        organizations=(Organization("Collective Security Treaty Organization", ("CSTO",)),),
        places=("Astana", "Kazakhstan"),
    )
    return SyntheticArticle(1, "Opinion: a ceasefire in sight", text, "Staff", "Feed 1", details)


async def write_world(db: Database, world: World) -> None:
    """Write feeds, subscriptions, follows and filters in one transaction."""
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO feeds (id, url, title, interval_seconds, next_check_at, created_at)"
            " VALUES (?, ?, ?, 900, ?, ?)",
            [(i, f"https://feed{i}.example/rss", f"Feed {i}", NOW, NOW)
             for i in range(1, world.feeds + 1)],
        )
        await tx.executemany(
            "INSERT INTO subscriptions (id, guild_id, channel_id, feed_id, enabled, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*row, USER_ID, NOW) for row in world.subscriptions],
        )
        await tx.executemany(
            "INSERT INTO follows (id, guild_id, channel_id, kind, topic, role_id,"
            " subscription_ids, filter_mode, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            world.follows,
        )
        await tx.executemany(
            "INSERT INTO filters (id, guild_id, subscription_id, follow_id, action, field,"
            " match_kind, pattern, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            world.filters,
        )


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p95 and max in milliseconds."""
    return {
        "median_ms": statistics.median(values) * 1000 if values else float("nan"),
        "p95_ms": percentile(values, 0.95) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
    }


BUCKETS = ((0, 0), (1, 250), (251, 500), (501, 1000), (1001, 2000), (2001, 4000),
           (4001, 10**9))

# What ``StoryDesk._route`` ran per article before the in-memory index (the grouped
# query of the previous fixes, then the rules of every candidate in chunks); kept here only
# to measure "before" in the same session and to check the index posts the same. The rows
# become models here, as storage did then (storage no longer has these queries).
BEFORE_CANDIDATES = (
    "WITH subs AS (SELECT guild_id, json_group_array(id) AS ids FROM subscriptions"
    " WHERE feed_id = ? AND enabled = 1 GROUP BY guild_id)"
    " SELECT f.id, f.guild_id, f.channel_id, f.kind, f.topic, f.role_id, f.subscription_ids,"
    " f.filter_mode, subs.ids AS feed_subscriptions"
    " FROM subs JOIN follows f ON f.guild_id = subs.guild_id"
)
BEFORE_RULES = (
    "SELECT follow_id, id, action, field, match_kind, pattern FROM filters"
    " WHERE follow_id IN ({marks}) ORDER BY id"
)
ID_CHUNK = 900


@dataclass
class Routed:
    """One article routed: its posts and what it cost."""

    posts: list[FollowPost]
    seconds: float
    match_seconds: float
    candidates: int  # follows of the servers on the article's feed
    examined: int  # of those, the ones the index handed to the matcher


def follow_of(row: Row) -> Follow:
    """The follow a ``BEFORE_CANDIDATES`` row holds."""
    ids = row["subscription_ids"]
    return Follow(
        id=row["id"], guild_id=row["guild_id"], channel_id=row["channel_id"], kind=row["kind"],
        topic=row["topic"], role_id=row["role_id"],
        subscription_ids=tuple(json.loads(ids)) if ids else None,
        filter_mode=row["filter_mode"],
    )


def rule_of(row: Row) -> FilterRule:
    """The filter rule a ``BEFORE_RULES`` row holds."""
    return FilterRule(
        id=row["id"], action=row["action"], field=FilterField(row["field"]),
        match_kind=MatchKind(row["match_kind"]), pattern=row["pattern"],
    )


def fields_of(article: SyntheticArticle) -> ArticleFields:
    """The fields the reader builds for the filters."""
    return ArticleFields(
        title=article.title, text=article.text, author=article.author, source=article.source
    )


async def route(follows: FollowIndex, article: SyntheticArticle) -> Routed:
    """Route one article exactly as ``StoryDesk._route`` does for follows
    (``FollowIndex.posts_for``), then time the matching alone on the same index."""
    fields = fields_of(article)
    started = time.perf_counter()
    posts = await follows.posts_for(article.feed_id, article.details, fields)
    seconds = time.perf_counter() - started
    index = await follows.current()
    servers = index.servers_on_feed.get(article.feed_id, {})
    candidates = sum(len(index.by_guild[guild]) for guild in servers)
    matching_started = time.perf_counter()
    examined = 0
    again: list[FollowPost] = []
    if index.followed(article.feed_id):
        topics = ArticleTopics.from_reading(article.details, article.title, fields.text)
        examined = len(index.candidates(article.feed_id, topics))
        again = index.posts(article.feed_id, topics, fields)
    match_seconds = time.perf_counter() - matching_started
    assert again == posts, "the index answered differently twice"
    return Routed(posts, seconds, match_seconds, candidates, examined)


async def route_before(db: Database, article: SyntheticArticle) -> Routed:
    """Route one article as ``_route`` did before the index: candidates and their rules
    from SQLite per article, then ``posts_for_follows`` over all of them."""
    fields = fields_of(article)
    started = time.perf_counter()
    rows = await db.fetch_all(BEFORE_CANDIDATES, (article.feed_id,))
    candidates = [(follow_of(row), json.loads(row["feed_subscriptions"])) for row in rows]
    if not candidates:
        return Routed([], time.perf_counter() - started, 0.0, 0, 0)
    ids = [follow.id for follow, _ in candidates]
    rules: dict[int, list[FilterRule]] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        for row in await db.fetch_all(
            BEFORE_RULES.format(marks=",".join("?" * len(chunk))), chunk
        ):
            rules.setdefault(int(row["follow_id"]), []).append(rule_of(row))
    matching_started = time.perf_counter()
    topics = ArticleTopics.from_reading(article.details, article.title, fields.text)
    posts = posts_for_follows(candidates, rules, topics, fields)
    ended = time.perf_counter()
    return Routed(posts, ended - started, ended - matching_started, len(candidates),
                  len(candidates))


def posted_set(number: int, posts: Sequence[FollowPost]) -> set[tuple[int, int, int, int]]:
    """What an article's posts are, whatever their order."""
    return {(number, p.follow_id, p.channel_id, p.role_id or 0) for p in posts}


async def measure(
    router: Any, articles: Sequence[SyntheticArticle], heavy: Sequence[SyntheticArticle]
) -> dict[str, Any]:
    """Route the stream and the busiest feed's articles with ``router``; return figures."""
    # Warm-up: the first queries pay for opening pages; not counted.
    for article in articles[: min(50, len(articles))]:
        await router(article)
    whole: list[float] = []
    matching: list[float] = []
    by_bucket: dict[str, list[tuple[float, float]]] = {}
    counts: list[int] = []
    examined: list[int] = []
    posted: set[tuple[int, int, int, int]] = set()
    for number, article in enumerate(articles):
        routed: Routed = await router(article)
        whole.append(routed.seconds)
        matching.append(routed.match_seconds)
        counts.append(routed.candidates)
        examined.append(routed.examined)
        posted |= posted_set(number, routed.posts)
        low, high = next(b for b in BUCKETS if b[0] <= routed.candidates <= b[1])
        label = f"{low}" if low == high else f"{low}-{high if high < 10**9 else ''}"
        by_bucket.setdefault(label, []).append((routed.seconds, routed.match_seconds))
    heavy_whole: list[float] = []
    heavy_match: list[float] = []
    heavy_candidates = heavy_examined = 0
    for number, article in enumerate(heavy, start=len(articles)):
        routed = await router(article)
        heavy_whole.append(routed.seconds)
        heavy_match.append(routed.match_seconds)
        heavy_candidates = routed.candidates
        heavy_examined = max(heavy_examined, routed.examined)
        posted |= posted_set(number, routed.posts)
    return {
        "candidates": {
            "median": statistics.median(counts),
            "p95": percentile([float(c) for c in counts], 0.95),
            "max": max(counts),
        },
        "examined": {
            "median": statistics.median(examined),
            "p95": percentile([float(c) for c in examined], 0.95),
            "max": max(examined),
        },
        "posts": sum(1 for row in posted if row[0] < len(articles)),
        "posted": sorted(posted),
        "routing": summary(whole),
        "matching": summary(matching),
        "by_candidates": {
            label: {
                "articles": len(rows),
                "routing_median_ms": statistics.median(r[0] for r in rows) * 1000,
                "routing_p95_ms": percentile([r[0] for r in rows], 0.95) * 1000,
                "matching_median_ms": statistics.median(r[1] for r in rows) * 1000,
            }
            for label, rows in sorted(
                by_bucket.items(), key=lambda item: int(item[0].split("-")[0])
            )
        },
        "busiest_feed": {
            "candidates": heavy_candidates, "examined_max": heavy_examined,
            "routing": summary(heavy_whole), "matching": summary(heavy_match),
        },
    }


async def measure_reloads(
    repos: Repositories, follows: FollowIndex, world: World, article: SyntheticArticle,
    rounds: int,
) -> dict[str, Any]:
    """Time the first article routed after a change (a follow added, then removed): the
    whole reload of the index is paid there."""
    guild = world.planted["guild"]
    channel = CHANNEL_BASE + world.servers * 100 + 90
    after_change: list[float] = []
    for number in range(rounds):
        added, _ = await repos.follows.add(
            guild, channel, "keyword", f"reload probe {number}", role_id=None,
            subscription_ids=None, created_by=USER_ID, now=datetime.now(UTC),
        )
        after_change.append((await route(follows, article)).seconds)
        await repos.follows.remove(guild, added.id)
        after_change.append((await route(follows, article)).seconds)
    return summary(after_change)


async def run(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    """Build the world, route the stream (index, then before), return the figures."""
    build_started = time.perf_counter()
    world = build_world(args.seed, args.feeds, args.servers, args.follows_per_server)
    plant(world, len(world.follows) + 1, len(world.filters) + 1)
    db = await Database.open(path)
    try:
        await write_world(db, world)
        repos = Repositories.over(db)
        build_seconds = time.perf_counter() - build_started
        follows = FollowIndex(repos)
        load_started = time.perf_counter()
        index = await follows.load()
        load_seconds = time.perf_counter() - load_started

        planted = await route(follows, planted_article())
        planted_guild = world.planted["guild"]
        mine = [post for post in planted.posts if post.guild_id == planted_guild]
        planted_result = {
            "expected_follow_ids": world.planted["expected"],
            "posted_follow_ids": sorted(post.follow_id for post in mine),
            "pinged_roles": sorted(post.role_id for post in mine if post.role_id is not None),
            "follow_ids": world.planted["follows"],
        }

        rng = random.Random(args.seed + 1)
        topics = topic_pool(random.Random(args.seed))
        articles = [
            synthesise_article(rng, topics, rng.randint(1, args.feeds))
            for _ in range(args.articles)
        ]
        subscribed = [len(world.feed_servers.get(i, ())) for i in range(1, args.feeds + 1)]
        busiest = max(range(1, args.feeds + 1), key=lambda i: subscribed[i - 1])
        heavy = [
            synthesise_article(rng, topics, busiest) for _ in range(min(100, args.articles // 2))
        ]
        reloads = await measure_reloads(repos, follows, world, heavy[0], args.reloads)
        figures = await measure(functools.partial(route, follows), articles, heavy)
        before: dict[str, Any] | None = None
        if not args.no_before:
            before = await measure(functools.partial(route_before, db), articles, heavy)
            before["same_posts"] = before["posted"] == figures["posted"]
            del before["posted"]
    finally:
        await db.close()
    del figures["posted"]
    figures["busiest_feed"].update(feed_id=busiest, servers=subscribed[busiest - 1])
    return {
        "servers": args.servers,
        "follows": len(world.follows),
        "filters": len(world.filters),
        "subscriptions": len(world.subscriptions),
        "feeds": args.feeds,
        "articles": args.articles,
        "build_seconds": round(build_seconds, 2),
        "db_bytes": file_size(path),
        "servers_per_feed": {
            "median": statistics.median(subscribed), "max": max(subscribed),
        },
        "index": {
            "load_ms": load_seconds * 1000,
            "key_words": len(index.by_word),
            "names": len(index.by_name),
            "wordless": len(index.wordless),
            "routing_after_a_change": reloads,
        },
        **figures,
        "planted": planted_result,
        "before": before,
    }


def print_table(result: dict[str, Any]) -> None:
    """Print routing and matching, overall and by number of candidate follows."""
    for name in ("routing", "matching"):
        row = result[name]
        print(
            f"{name:>9}: median {row['median_ms']:.3f} ms, p95 {row['p95_ms']:.3f} ms, "
            f"max {row['max_ms']:.3f} ms"
        )
    print("candidates  articles  routing median  routing p95  matching median")
    for label, row in result["by_candidates"].items():
        print(
            f"{label:>10}  {row['articles']:>8}  {row['routing_median_ms']:>11.3f} ms"
            f"  {row['routing_p95_ms']:>8.3f} ms  {row['matching_median_ms']:>12.3f} ms"
        )
    busy = result["busiest_feed"]
    print(
        f"busiest feed ({busy['candidates']} candidate follows): routing median "
        f"{busy['routing']['median_ms']:.2f} ms, p95 {busy['routing']['p95_ms']:.2f} ms, "
        f"max {busy['routing']['max_ms']:.2f} ms; matching median "
        f"{busy['matching']['median_ms']:.2f} ms"
    )


def print_report(result: dict[str, Any], command: str) -> None:
    """Print the figures with the command that produced them."""
    print(f"$ {command}")
    print(
        f"{result['servers']:,} servers, {result['follows']:,} follows "
        f"({result['filters']:,} filter rules), {result['subscriptions']:,} subscriptions "
        f"over {result['feeds']:,} feeds; set-up {result['build_seconds']} s, "
        f"file {result['db_bytes'] / 2**20:.1f} MiB"
    )
    index = result["index"]
    after = index["routing_after_a_change"]
    print(
        f"index: loaded in {index['load_ms']:.1f} ms ({index['key_words']:,} key words, "
        f"{index['names']:,} names, {index['wordless']} wordless topics); first article "
        f"after a change: median {after['median_ms']:.1f} ms, max {after['max_ms']:.1f} ms"
    )
    cand = result["candidates"]
    examined = result["examined"]
    print(
        f"{result['articles']:,} articles; candidate follows per article: median "
        f"{cand['median']:.0f}, p95 {cand['p95']:.0f}, max {cand['max']}; examined by the "
        f"index: median {examined['median']:.0f}, p95 {examined['p95']:.0f}, max "
        f"{examined['max']}; {result['posts']:,} posts"
    )
    print("with the in-memory index (FollowIndex.posts_for, as StoryDesk._route):")
    print_table(result)
    busy = result["busiest_feed"]
    print(f"busiest feed #{busy['feed_id']} is in {busy['servers']} servers")
    before = result.get("before")
    if before:
        print("before (candidates and rules from SQLite per article, as _route did):")
        print_table(before)
        print(f"same posts with and without the index: {before['same_posts']}")
    planted = result["planted"]
    ok = planted["expected_follow_ids"] == planted["posted_follow_ids"]
    print(f"planted follows: expected {planted['expected_follow_ids']}, posted "
          f"{planted['posted_follow_ids']} -> {'ok' if ok else 'MISMATCH'}")
    target = result["routing"]["p95_ms"] < 5.0
    print(f"target (routing under 5 ms per article, p95): {'met' if target else 'MISSED'}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run, print, optionally write JSON; 1 when the planted follows or the
    posts of the two paths disagree."""
    parser = bench_parser(
        __doc__, quick=f"{QUICK_SERVERS} servers, {QUICK_FEEDS} feeds, {QUICK_ARTICLES} articles"
    )
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--follows-per-server", type=int, default=10)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reloads", type=int, default=5, help="follow added/removed rounds")
    parser.add_argument("--db", type=Path, help="SQLite file to (re)create")
    parser.add_argument(
        "--no-before", action="store_true",
        help="skip the same stream routed the old way (SQLite per article)",
    )
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    if args.quick:
        args.servers, args.feeds, args.articles = QUICK_SERVERS, QUICK_FEEDS, QUICK_ARTICLES
    command = " ".join(["python -m bench.follow_matching", *arguments])
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "follows.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        result = asyncio.run(run(args, path))
    print_report(result, command)
    write_figures(args.json, result)
    planted = result["planted"]
    before = result["before"]
    behaved = planted["expected_follow_ids"] == planted["posted_follow_ids"] and (
        before is None or before["same_posts"]
    )
    return 0 if behaved else 1


if __name__ == "__main__":
    sys.exit(main())
