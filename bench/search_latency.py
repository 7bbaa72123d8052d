"""Search latency at scale: ``SearchService.search`` over 1M articles.

Usage (from the repository root)::

    python -m bench.search_latency [--articles 1000000] [--quick] [--db-file PATH]
                                   [--queries-per-kind 40] [--json PATH]
                                   [--db sqlite|postgres [...]] [--postgres ADDRESS]

``--quick``: 5,000 articles, 5 searches per kind (built in a few seconds). Exit status 1
when a result page fails the checks below.

Set-up (cached): a SQLite file opened with ``Database.open`` (every migration, so the FTS5
table ``article_search`` and its triggers are the production ones) holding ``--feeds`` feeds
(2,000), 1,000 servers subscribed to 5-40 feeds each with Zipf-like popularity (the
generator of ``bench.support.synthetic_servers``, as in ``bench.follow_matching``), and
``--articles`` articles spread evenly at random over the feeds and over the last 365 days:
an 8-word title, a 30-word summary and a 120-200 word text drawn from a 30,000-word
Zipf-like vocabulary, with a few news phrases ("climate change", "central bank"...) in some
texts. Articles are inserted in bulk through
the database's own connection (``executemany``, 50,000 per transaction); the FTS triggers
index them as they go. The file is kept at ``--db-file`` (default under /tmp, one per size)
and reused when it already holds the articles asked for, so reruns skip the build.

``--db postgres``: the same build in a PostgreSQL database (``bench.support.databases``)
named ``newsdesk_bench_search_<articles>``, kept and reused like the file (its build is
its comment), indexed by the production trigger and GIN index, then ``VACUUM ANALYZE``d as
autovacuum would. With ``--db sqlite postgres`` both run and each kind's figures are
printed side by side (``--json`` then holds one set per engine).

Planted: server 0 is subscribed to feed 1, whose 25 newest articles contain the phrase
"aurora lithium compact"; no other article does.

Measured: ``SearchService.search`` (the ``/search`` command's call: which typed words are
too common, the newest matches counted and ranked in one pass, then the first page of 5 with
snippets) for ``--queries-per-kind`` random servers per kind of query: a word in nearly
every article (stop word), a very common word, a mid-frequency word, a rare word, two words,
a quoted phrase, each alone and with a subscription filter and/or a 7 or 30 day filter.
Reported: p50 / p95 / p99 overall and per kind, how each kind was served (words left out,
newest first), and checks on every result page: each hit is from the server's feeds (the
subscription's feed when one was given) and inside the days asked for, and for one server
per kind page 2 follows page 1 in the same order without overlap.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from bench.support.arguments import bench_parser, write_figures
from bench.support.databases import (
    add_engine_options,
    create_database,
    database_comment,
    set_database_comment,
    vacuum_analyze,
    with_database,
)
from bench.support.synthetic_servers import (
    FILLER,
    GUILD_BASE,
    USER_ID,
    build_subscriptions,
    file_size,
    percentile,
    words,
)
from bot.features.search.search import COUNT_CAP, SearchPage, SearchService, fts_query
from storage import Database, Repositories
from storage.engines.postgres import POSTGRES_MIGRATIONS_DIR

NOW = 1_790_000_000.0
DAY = 86_400.0
BATCH = 50_000
VOCABULARY = 30_000
PLANTED_PHRASE = "aurora lithium compact"
PLANTED_COUNT = 25
QUICK_ARTICLES = 5_000
QUICK_QUERIES_PER_KIND = 5
NEWS_PHRASES = (
    "climate change", "central bank", "interest rates", "supply chain", "peace talks",
    "human rights", "oil price", "power outage", "food prices", "free trade",
)
SYLLABLES = words(
    "ka ro mi tan vel dor sun pe li ga no ra shi ven tor al be ko mar zu fen di la qu "
    "sor ne bri ta mo el vi dra"
)


def vocabulary(rng: random.Random) -> list[str]:
    """Return the ranked vocabulary: common English words first, then made-up words."""
    words = list(dict.fromkeys(FILLER))
    seen = set(words) | set(PLANTED_PHRASE.split())
    while len(words) < VOCABULARY:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def article_rows(count: int, feeds: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Yield article rows; the last ``PLANTED_COUNT`` (all of feed 1) carry the planted
    phrase. Words are drawn by rank with numpy, a block of articles at a time."""
    words = vocabulary(random.Random(seed + 100))
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    cumulative = np.cumsum(1.0 / ranks)
    generator = np.random.default_rng(seed)
    rng = random.Random(seed + 1)
    block = 10_000
    for first in range(1, count + 1, block):
        size = min(block, count - first + 1)
        lengths = generator.integers(120, 201, size=size) + 38  # 8 title + 30 summary words
        draws = np.searchsorted(cumulative, generator.random(int(lengths.sum())) * cumulative[-1])
        drawn = [words[index] for index in draws.tolist()]
        offset = 0
        for position in range(size):
            number = first + position
            article = drawn[offset:offset + int(lengths[position])]
            offset += int(lengths[position])
            title = " ".join(article[:8]).capitalize()
            summary = " ".join(article[8:38]).capitalize() + "."
            body = article[38:]
            if rng.random() < 0.2:
                body.insert(rng.randrange(len(body)), rng.choice(NEWS_PHRASES))
            planted = number > count - PLANTED_COUNT
            if planted:
                body.insert(rng.randrange(len(body)), PLANTED_PHRASE)
            feed_id = 1 if planted else rng.randint(1, feeds)
            seen = NOW - DAY * 365 * (count - number) / count - rng.random() * 3600
            published = None if rng.random() < 0.1 else seen - rng.random() * 7200
            url = f"https://feed{feed_id}.example/a/{number}"
            yield (number, feed_id, f"e{number}", url, title, summary, "Staff", published,
                   seen, url, seen, " ".join(body) + ".")


async def build(db: Database, articles: int, feeds: int, seed: int) -> float:
    """Write feeds, subscriptions and articles; return the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    subscriptions = build_subscriptions(rng, feeds, 1000)
    server0 = [row for row in subscriptions if row[1] == GUILD_BASE]
    if not any(row[3] == 1 and row[4] for row in server0):
        subscriptions.append((len(subscriptions) + 1, GUILD_BASE, server0[0][2], 1, 1))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO feeds (id, url, title, interval_seconds, next_check_at, created_at)"
            " VALUES (?, ?, ?, 900, ?, ?)",
            [(i, f"https://feed{i}.example/rss", f"Feed {i}", NOW, NOW)
             for i in range(1, feeds + 1)],
        )
        await tx.executemany(
            "INSERT INTO subscriptions (id, guild_id, channel_id, feed_id, enabled, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*row, USER_ID, NOW) for row in subscriptions],
        )
    rows = article_rows(articles, feeds, seed)
    done = 0
    # The next block is generated in a thread while SQLite (which releases the GIL) indexes
    # this one: the two cores are both used.
    chunk = list(itertools.islice(rows, BATCH))
    while chunk:
        following = asyncio.create_task(
            asyncio.to_thread(lambda: list(itertools.islice(rows, BATCH)))
        )
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO articles (id, feed_id, entry_key, url, title, summary, author,"
                " published_at, first_seen_at, url_key, enriched_at, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                chunk,
            )
        done += len(chunk)
        rate = done / (time.perf_counter() - started)
        print(f"  built {done:,} / {articles:,} articles ({rate:,.0f}/s)", flush=True)
        chunk = await following
    if db.dialect.is_postgres:
        return time.perf_counter() - started
    async with db.transaction() as tx:
        await tx.execute("ANALYZE")
    await db.fetch_one("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


async def open_cached_postgres(
    server: str, articles: int, feeds: int, seed: int
) -> tuple[Database, float, str]:
    """Open the kept PostgreSQL build if it is the right one, else rebuild it; return the
    database, the build's seconds and its address."""
    # The schema is part of the build: a changed PostgreSQL migration rebuilds it.
    schema = hashlib.sha256(b"".join(
        path.read_bytes() for path in sorted(POSTGRES_MIGRATIONS_DIR.glob("*.sql"))
    )).hexdigest()[:12]
    tag = f"articles={articles} feeds={feeds} seed={seed} schema={schema}"
    name = f"newsdesk_bench_search_{articles}"
    address = with_database(server, name)
    if await database_comment(server, name) == tag:
        return await Database.open(address), 0.0, address
    await create_database(server, name, comment="building")
    db = await Database.open(address)
    seconds = await build(db, articles, feeds, seed)
    started = time.perf_counter()
    await vacuum_analyze(address)
    seconds += time.perf_counter() - started
    await set_database_comment(server, name, tag)
    return db, seconds, address


async def open_cached(path: Path, articles: int, feeds: int, seed: int) -> tuple[Database, float]:
    """Open the cached file if it holds the right build, else rebuild it."""
    tag = f"articles={articles} feeds={feeds} seed={seed}"
    if cached_build(path, tag, reset=False):
        return await Database.open(path), 0.0
    cached_build(path, tag, reset=True)
    db = await Database.open(path)
    seconds = await build(db, articles, feeds, seed)
    cached_build(path, tag, reset=False, done=True)
    return db, seconds


def cached_build(path: Path, tag: str, *, reset: bool, done: bool = False) -> bool:
    """Say whether ``path`` holds the build ``tag`` (a marker file beside it); delete the
    files (``reset``) or write the marker (``done``)."""
    marker = Path(f"{path}.built")
    if reset:
        for suffix in ("", "-wal", "-shm", ".built"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return False
    if done:
        marker.write_text(tag, encoding="utf-8")
        return True
    return path.exists() and marker.exists() and marker.read_text(encoding="utf-8") == tag


def figures(values: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max in milliseconds."""
    return {
        "n": len(values),
        "p50_ms": percentile(values, 0.50) * 1000,
        "p95_ms": percentile(values, 0.95) * 1000,
        "p99_ms": percentile(values, 0.99) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
    }


async def guild_subscriptions(db: Database) -> dict[int, list[int]]:
    """Return each server's enabled subscription ids."""
    rows = await db.fetch_all("SELECT guild_id, id FROM subscriptions WHERE enabled = 1")
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(int(row[0]), []).append(int(row[1]))
    return found


async def subscription_feeds(db: Database) -> tuple[dict[int, int], dict[int, set[int]]]:
    """Return each subscription's feed and each server's feeds."""
    rows = await db.fetch_all("SELECT id, guild_id, feed_id FROM subscriptions")
    feed_of: dict[int, int] = {}
    feeds_of: dict[int, set[int]] = {}
    for row in rows:
        feed_of[int(row[0])] = int(row[2])
        feeds_of.setdefault(int(row[1]), set()).add(int(row[2]))
    return feed_of, feeds_of


def page_problems(
    page: SearchPage, feeds: set[int], since: float | None
) -> list[str]:
    """Return what is wrong with a page: a hit from another feed or outside the days."""
    problems = []
    for hit in page.hits:
        if hit.article.feed_id not in feeds:
            problems.append(f"article {hit.article.id} from feed {hit.article.feed_id}")
        when = hit.article.published_at or hit.article.first_seen_at
        if since is not None and when.timestamp() < since:
            problems.append(f"article {hit.article.id} older than the days asked for")
    if len(page.hits) != min(5, max(0, page.total - 5 * (page.page - 1))):
        problems.append(f"{len(page.hits)} hits on page {page.page} of a total {page.total}")
    return problems


async def document_frequency(db: Database, word: str) -> int:
    """Return how many articles contain ``word``."""
    if db.dialect.is_postgres:
        row = await db.fetch_one(
            "SELECT COUNT(*) FROM article_search"
            " WHERE document @@ phraseto_tsquery('newsdesk_search', ?)",
            (word.strip('"'),),
        )
    else:
        row = await db.fetch_one(
            "SELECT COUNT(*) FROM article_search WHERE article_search MATCH ?",
            (fts_query(word),),
        )
    return 0 if row is None else int(row[0])


async def run(args: argparse.Namespace, engine: str) -> dict[str, Any]:
    """Build or open the database on ``engine``, run the query mix, return the figures."""
    path: Path = args.db_file or Path(f"/tmp/newsdesk-search-{args.articles}.sqlite3")
    where = str(path)
    if engine == "postgres":
        db, build_seconds, where = await open_cached_postgres(
            args.postgres, args.articles, args.feeds, args.seed
        )
    else:
        db, build_seconds = await open_cached(path, args.articles, args.feeds, args.seed)
    ranking = "ts_rank" if db.dialect.is_postgres else "BM25"
    try:
        repos = Repositories.over(db)
        service = SearchService(repos, lambda: datetime.fromtimestamp(NOW, tz=UTC))
        words = vocabulary(random.Random(args.seed + 100))
        # Ranks: FILLER words first (a rank-2 word is in most articles), made-up words later.
        stop, common, mid, rare = words[2], words[100], words[400], words[25_000]
        two = f"{words[60]} {words[900]}"
        phrase = '"central bank"'
        kinds: dict[str, tuple[str, bool, int | None]] = {}
        for label, text in (("stop word", stop), ("common word", common), ("mid word", mid),
                            ("rare word", rare), ("two words", two), ("phrase", phrase)):
            kinds[label] = (text, False, None)
            kinds[f"{label} +days 30"] = (text, False, 30)
            kinds[f"{label} +subscription"] = (text, True, None)
        kinds["common word +days 7"] = (common, False, 7)
        kinds["common word +subscription +days 7"] = (common, True, 7)
        frequencies = {
            label: await document_frequency(db, text)
            for label, text in (("stop word", stop), ("common word", common), ("mid word", mid),
                                ("rare word", rare), ("phrase", phrase))
        }
        subs = await guild_subscriptions(db)
        feed_of, feeds_of = await subscription_feeds(db)
        guilds = sorted(subs)
        rng = random.Random(args.seed + 2)

        planted = await service.search(GUILD_BASE, f'"{PLANTED_PHRASE}"')
        planted_check: dict[str, Any] = {
            "total": planted.total,
            "hits": len(planted.hits),
            "snippets_marked": sum(
                "**aurora** **lithium** **compact**" in " ".join(hit.snippet.split()).lower()
                or "**aurora lithium compact**" in " ".join(hit.snippet.split()).lower()
                for hit in planted.hits
            ),
            "all_feed_1": all(hit.article.feed_id == 1 for hit in planted.hits),
        }
        outsider = next((guild for guild in guilds if 1 not in feeds_of[guild]), None)
        planted_check["outsider_total"] = (
            None if outsider is None
            else (await service.search(outsider, f'"{PLANTED_PHRASE}"')).total
        )

        # Warm-up (opening pages): a few queries of each kind, not counted.
        for text, _, _ in kinds.values():
            await service.search(guilds[0], text)

        timings: dict[str, list[float]] = {label: [] for label in kinds}
        totals: dict[str, list[int]] = {label: [] for label in kinds}
        served: dict[str, Counter[str]] = {label: Counter() for label in kinds}
        paged: set[str] = set()
        problems: list[str] = []
        plan = [
            (label, rng.choice(guilds))
            for label in kinds for _ in range(args.queries_per_kind)
        ]
        rng.shuffle(plan)
        for label, guild in plan:
            text, with_subscription, days = kinds[label]
            subscription = rng.choice(subs[guild]) if with_subscription else None
            started = time.perf_counter()
            page = await service.search(guild, text, subscription=subscription, days=days)
            timings[label].append(time.perf_counter() - started)
            totals[label].append(page.total)
            served[label][describe_mode(page, ranking)] += 1
            feeds = {feed_of[subscription]} if subscription is not None else feeds_of[guild]
            since = NOW - days * DAY if days else None
            problems.extend(f"{label}: {problem}" for problem in page_problems(page, feeds, since))
            if label not in paged and page.total > 5:
                paged.add(label)
                problems.extend(
                    f"{label}: {problem}"
                    for problem in await second_page_problems(
                        service, page, guild=guild, text=text, subscription=subscription,
                        days=days, feeds=feeds, since=since,
                    )
                )
        everything = [value for values in timings.values() for value in values]

        # Outside the mix above (so its figures stay comparable with earlier runs): a stop
        # word beside another word is left out, and the results are the other word's alone.
        mixed_text = f"{stop} {mid}"
        mixed: list[float] = []
        extra = random.Random(args.seed + 3)
        for _ in range(args.queries_per_kind):
            guild = extra.choice(guilds)
            started = time.perf_counter()
            page = await service.search(guild, mixed_text)
            mixed.append(time.perf_counter() - started)
            alone = await service.search(guild, mid)
            served.setdefault("stop word + mid word", Counter())[
                describe_mode(page, ranking)
            ] += 1
            if (page.total, [hit.article.id for hit in page.hits]) != (
                alone.total, [hit.article.id for hit in alone.hits]
            ):
                problems.append(f"stop word + mid word: server {guild} differs from mid word")
        count_only: list[float] = []
        for label, guild in plan[: min(len(plan), 60)]:
            text, _, days = kinds[label]
            started = time.perf_counter()
            await repos.articles.search(
                guild, fts_query(text), ranked=True, feed_id=None, since=None, limit=5,
                offset=0, window=COUNT_CAP,
            )
            count_only.append(time.perf_counter() - started)
        explain = await explain_search(db, service, guilds[0], common, 30)
        if db.dialect.is_postgres:
            segments = None
            sized = await db.fetch_one("SELECT pg_database_size(current_database())")
            size = 0 if sized is None else int(sized[0])
        else:
            segments = await db.fetch_one("SELECT COUNT(*) FROM article_search_data")
            size = file_size(path)
    finally:
        await db.close()
    return {
        "engine": engine,
        "articles": args.articles,
        "feeds": args.feeds,
        "db": where,
        "db_bytes": size,
        "build_seconds": round(build_seconds, 1),
        "queries": {label: kinds[label][0] for label in kinds},
        "document_frequency": frequencies,
        "overall": figures(everything),
        "by_kind": {
            label: {**figures(values), "median_total": statistics.median(totals[label])}
            for label, values in timings.items()
        },
        "stop_word_beside_mid_word": figures(mixed),
        "repository_search_no_filters": figures(count_only),
        "explain": explain,
        "fts_data_rows": None if segments is None else int(segments[0]),
        "planted": planted_check,
        "served": {label: dict(modes.most_common()) for label, modes in served.items()},
        "problems": problems,
    }


def describe_mode(page: SearchPage, ranking: str = "BM25") -> str:
    """Say how a search was served: ranked (within the newest matches), or newest first."""
    if page.newest_first:
        mode = "newest first (every word in most articles)"
    elif page.total >= COUNT_CAP:
        mode = f"{ranking} over the {COUNT_CAP} newest matches"
    else:
        mode = f"{ranking} over every match"
    if page.left_out:
        mode += f", left out: {', '.join(page.left_out)}"
    return mode


async def second_page_problems(
    service: SearchService, first: SearchPage, *, guild: int, text: str,
    subscription: int | None, days: int | None, feeds: set[int], since: float | None,
) -> list[str]:
    """Fetch page 2 and check it continues page 1: no article twice, the same total, and
    newest first throughout when unranked."""
    second = await service.search(guild, text, subscription=subscription, days=days, page=2)
    problems = page_problems(second, feeds, since)
    first_ids = [hit.article.id for hit in first.hits]
    second_ids = [hit.article.id for hit in second.hits]
    if set(first_ids) & set(second_ids):
        problems.append("page 2 repeats an article of page 1")
    if second.total != first.total:
        problems.append(f"page 2 total {second.total} != page 1 total {first.total}")
    if first.newest_first and first_ids + second_ids != sorted(first_ids + second_ids,
                                                               reverse=True):
        problems.append("unranked pages are not newest first")
    return problems


async def explain_search(
    db: Database, service: SearchService, guild: int, text: str, days: int
) -> list[str]:
    """Return ``EXPLAIN QUERY PLAN`` of the statements one search really runs (captured
    from the database object, so the plan is the production SQL's)."""
    statements: list[tuple[str, Any]] = []
    fetch_one, fetch_all = db.fetch_one, db.fetch_all

    async def capture_one(sql: str, params: Any = ()) -> Any:
        statements.append((sql, params))
        return await fetch_one(sql, params)

    async def capture_all(sql: str, params: Any = ()) -> Any:
        statements.append((sql, params))
        return await fetch_all(sql, params)

    with mock.patch.object(db, "fetch_one", capture_one), \
            mock.patch.object(db, "fetch_all", capture_all):
        await service.search(guild, text, days=days)
    plans = []
    for sql, params in statements:
        if db.dialect.is_postgres:
            rows = await db.fetch_all("EXPLAIN " + sql, params)
            plans.append(" / ".join(" ".join(str(row[0]).split()) for row in rows))
        else:
            rows = await db.fetch_all("EXPLAIN QUERY PLAN " + sql, params)
            plans.append(" / ".join(str(row[3]) for row in rows))
    return plans


def print_report(result: dict[str, Any], command: str) -> None:
    """Print the figures with the command that produced them."""
    print(f"$ {command}   [{result['engine']}]")
    built = (
        f"built in {result['build_seconds']} s" if result["build_seconds"]
        else "cached build reused"
    )
    print(
        f"{result['articles']:,} articles over {result['feeds']:,} feeds, 1,000 servers; "
        f"{built}; database {result['db_bytes'] / 2**30:.2f} GiB ({result['db']})"
    )
    print("articles containing: " + ", ".join(
        f"{label} {count:,}" for label, count in result["document_frequency"].items()
    ))
    overall = result["overall"]
    print(
        f"all {overall['n']} searches: p50 {overall['p50_ms']:.1f} ms, p95 "
        f"{overall['p95_ms']:.1f} ms, p99 {overall['p99_ms']:.1f} ms, max "
        f"{overall['max_ms']:.1f} ms"
    )
    print(f"{'kind':<36} {'p50':>9} {'p95':>9} {'p99':>9} {'results':>8}")
    for label, row in result["by_kind"].items():
        print(
            f"{label:<36} {row['p50_ms']:>6.1f} ms {row['p95_ms']:>6.1f} ms "
            f"{row['p99_ms']:>6.1f} ms {row['median_total']:>8.0f}"
        )
    row = result["stop_word_beside_mid_word"]
    print(f"{'(not in the mix) stop word + mid word':<36} {row['p50_ms']:>6.1f} ms "
          f"{row['p95_ms']:>6.1f} ms {row['p99_ms']:>6.1f} ms")
    plain = result["repository_search_no_filters"]
    print(f"ArticleRepository.search, no filters: p50 {plain['p50_ms']:.1f} ms, p95 "
          f"{plain['p95_ms']:.1f} ms")
    print("plans (one search, common word +days 30), statement by statement:")
    for plan in result["explain"]:
        print(f"  {plan}")
    print("served as:")
    for label, modes in result["served"].items():
        print(f"  {label:<34} " + "; ".join(f"{mode} ({count})" for mode, count in modes.items()))
    print(f"result checks: {len(result['problems'])} problems" + "".join(
        f"\n  {problem}" for problem in result["problems"][:20]))
    print(f"planted phrase: {result['planted']}")
    met = overall["p95_ms"] < 50.0
    print(f"target (p95 under 50 ms): {'met' if met else 'MISSED'}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run, print, optionally write JSON; 1 when a result check failed."""
    parser = bench_parser(
        __doc__,
        quick=f"{QUICK_ARTICLES:,} articles, {QUICK_QUERIES_PER_KIND} searches per kind",
    )
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--queries-per-kind", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--db-file", type=Path, help="cached SQLite database file (rebuilt if absent)"
    )
    add_engine_options(parser)
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    if args.quick:
        args.articles, args.queries_per_kind = QUICK_ARTICLES, QUICK_QUERIES_PER_KIND
    results = {engine: asyncio.run(run(args, engine)) for engine in args.engines}
    for result in results.values():
        print_report(result, " ".join(["python -m bench.search_latency", *arguments]))
    if len(results) > 1:
        print_side_by_side(results)
    write_figures(args.json, next(iter(results.values())) if len(results) == 1 else results)
    return 1 if any(result["problems"] for result in results.values()) else 0


def print_side_by_side(results: dict[str, dict[str, Any]]) -> None:
    """Print each kind's p50 / p95 on every engine of the run, one line per kind."""
    engines = list(results)
    print("side by side, p50 / p95 ms: " + ", ".join(engines))
    rows = [("all searches", [results[engine]["overall"] for engine in engines])] + [
        (label, [results[engine]["by_kind"][label] for engine in engines])
        for label in results[engines[0]]["by_kind"]
    ]
    for label, figures_per_engine in rows:
        print(f"  {label:<36} " + "   ".join(
            f"{one['p50_ms']:>6.1f} / {one['p95_ms']:>6.1f}" for one in figures_per_engine
        ))


if __name__ == "__main__":
    sys.exit(main())
