"""Polling pass at scale: the real ``Poller`` over 10,000 feeds served from 127.0.0.1.

Usage (from the repository root)::

    python -m bench.polling_pass [--feeds 10000] [--per-host-limit 2] [--mode due|all|pool]
                                 [--workers 8] [--timeout 15] [--ports 1] [--quick]
                                 [--json PATH] [--db sqlite|postgres [...]]
                                 [--postgres ADDRESS]

Set-up (not measured): a feed farm (``bench.support.feed_farm``) starts in its own process; a
second process seeds a fresh SQLite file through ``SubscriptionRepository.subscribe`` with a
``FeedSnapshot`` per feed (its version-1 items as already seen, its ETag, every feed due),
one subscription per feed over ``feeds / 10`` servers plus a second server on every tenth
feed. Measured, in this process: one pass of ``Services.poller`` built by
``Services.build`` over ``Database.open`` and the real ``Fetcher`` (settings from
``fetch_settings_for``, loopback allowed): ``poll_due`` back to back until nothing is due
(``--mode due``, what the scheduler calls) or one ``poll_all`` (``--mode all``);
``--mode pool`` is a what-if: ``Poller.poll_feed`` over the due feeds from ``--workers``
workers pulling one feed at a time, with no batch barrier.

The pass runs on a clock frozen at its start, so a feed rescheduled during a long pass
(a failure is retried 5 min later) is not polled twice. Mix (farm defaults): 5 % changed
(1-3 new items each), 1 % slow (1-3 s), 1 % failing (a third each: 500, connection refused,
no answer within the timeout), the rest 304 Not Modified.

Prints wall time, requests/s, feeds/s, CPU time and peak RSS of this process, outbox rows
and failures, each checked against what the farm's mix implies.

``--quick``: 300 feeds (one of each failing kind), a 2 s fetch timeout, slow feeds 0.2-0.6 s,
per-host limit 20, seeded in this process (so its peak RSS includes the seeding); a few
seconds. Exit status 1 when the pass did not finish.

``--db``: a SQLite file (default) or a fresh PostgreSQL database
(``bench.support.databases``); with both, the pass runs once on each (a farm of its own
each) and the figures are printed side by side (``--json`` then holds one set per engine).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser, write_figures
from bench.support.databases import add_engine_options, bench_database_sync, database_fields
from bench.support.feed_farm import CHANGED, FAILING_KINDS, FarmConfig, FarmProcess, kind_counts
from bot.app.services import Services, fetch_settings_for, reading_pool_for
from bot.app.settings import Settings
from bot.core.models import FeedSnapshot, NewArticle
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import parse_feed
from bot.pipeline.poll.poller import CONCURRENT_FEEDS, DUE_BATCH
from storage import Database, Repositories

GUILD_BASE = 900_000_000_000_000_000
CHANNEL_BASE = 800_000_000_000_000_000
FEEDS_PER_GUILD = 10
SHARED_EVERY = 10
MAX_BATCHES_SLACK = 50
QUICK_FEEDS = 300  # failing feeds are 1 %, a third each 500, refused and hang: one of each
QUICK_TIMEOUT = 2.0
QUICK_SLOW_SECONDS = (0.2, 0.6)
QUICK_PER_HOST_LIMIT = 20


@dataclass
class PassResult:
    """What one measured pass did, and what the farm says it should have done."""

    feeds: int
    subscriptions: int
    mode: str
    workers: int
    per_host_limit: int
    global_limit: int
    timeout_seconds: float
    ports: int
    kinds: dict[str, int]
    due_before: int = 0
    seed_seconds: float = 0.0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    rss_before_mb: float = 0.0
    peak_rss_mb: float = 0.0
    batches: int = 0
    batch_seconds: list[float] = field(default_factory=list)
    feeds_checked: int = 0
    feeds_failed: int = 0
    outbox_ids: int = 0
    outbox_rows: int = 0
    expected_outbox_rows: int = 0
    failures_recorded: int = 0
    expected_failures: int = 0
    feeds_checked_in_db: int = 0
    notices: int = 0
    still_due: int = 0
    finished: bool = False
    server_requests: int = 0
    server_counts: dict[str, int] = field(default_factory=dict)
    server_cpu_seconds: float = 0.0


def subscriber_counts(feeds: int) -> list[int]:
    """Return how many subscriptions each feed gets (2 for every tenth feed, else 1)."""
    return [2 if n % SHARED_EVERY == 0 and feeds > 1 else 1 for n in range(feeds)]


def seeded_articles(config: FarmConfig, n: int) -> list[NewArticle]:
    """Return feed ``n``'s version-1 items as articles (parsed for feeds that will change)."""
    if config.kinds[n] == CHANGED:
        # The exact keys the poller computes, so only the truly new items are queued.
        return articles_from_entries(
            parse_feed(config.body(n, 1), url=f"https://site{n}.example/feed").entries
        )
    published = datetime.fromtimestamp(config.base_epoch, UTC)
    return [
        NewArticle(
            entry_key=f"guid:{config.guid(n, item)}",
            url=f"https://site{n}.example/news/{item}",
            title=f"Item {item} of bench wire {n}",
            summary="Seeded as already seen.",
            author=None,
            image_url=None,
            published_at=published + timedelta(minutes=10 * item),
        )
        for item in config.item_numbers(n, 1)
    ]


async def seed(db_path: Path | str, config: FarmConfig, urls: list[str]) -> int:
    """Subscribe every farm feed through the repository; return the subscriptions made."""
    database = await Database.open(db_path)
    try:
        repositories = Repositories.over(database)
        now = datetime.now(UTC)
        due_at = now - timedelta(minutes=1)
        guilds = max(1, config.feeds // FEEDS_PER_GUILD)
        counts = subscriber_counts(config.feeds)
        made = 0
        for n in range(config.feeds):
            snapshot = FeedSnapshot(
                url=urls[n],
                title=f"Bench wire {n}",
                site_url=f"https://site{n}.example/",
                etag=config.etag(n, 1),
                last_modified=None,
                body_sha256=config.body_sha256(n, 1),
                interval_seconds=600,
                next_check_at=due_at,
                entries=seeded_articles(config, n),
            )
            for copy in range(counts[n]):
                guild = (n + copy * (guilds // 2 + 1)) % guilds
                await repositories.subscriptions.subscribe(
                    GUILD_BASE + guild,
                    CHANNEL_BASE + guild * 4 + n % 3,
                    snapshot,
                    created_by=1,
                    now=now,
                    max_feeds=100,
                )
                made += 1
        return made
    finally:
        await database.close()


def _seed_main(db_path: Path | str, config: FarmConfig, urls: list[str], pipe: Any) -> None:
    """Entry point of the seeding process."""
    pipe.send(asyncio.run(seed(db_path, config, urls)))


def run_seed_process(
    db_path: Path | str, config: FarmConfig, urls: list[str], limit: float
) -> int:
    """Seed the database in a child process so this process's RSS covers only the pass."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_seed_main, args=(db_path, config, urls, child))
    process.start()
    try:
        if not parent.poll(limit):
            raise RuntimeError(f"seeding did not finish within {limit:g} s")
        return int(parent.recv())
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(5)


def rss_mb() -> float:
    """Return this process's current resident set size in MB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """Return this process's user plus system CPU time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def count(database: Database, sql: str, params: tuple[Any, ...] = ()) -> int:
    """Return the single integer a counting query gives."""
    row = await database.fetch_one(sql, params)
    return 0 if row is None else int(row[0])


async def pooled_pass(
    services: Services, repositories: Repositories, now: datetime, result: PassResult
) -> None:
    """Check every due feed with ``result.workers`` workers and no batch barrier (what-if)."""
    feeds = iter(await repositories.feeds.due(now, result.feeds))
    started = time.perf_counter()

    async def worker() -> None:
        for feed in feeds:  # A shared iterator: each feed goes to exactly one worker.
            created = await services.poller.poll_feed(feed)
            result.feeds_checked += 1
            if created is None:
                result.feeds_failed += 1
            else:
                result.outbox_ids += len(created)

    await asyncio.gather(*(worker() for _ in range(result.workers)))
    result.batches = 1
    result.batch_seconds.append(time.perf_counter() - started)
    result.finished = True


async def measure_pass(
    db_path: Path | str, result: PassResult, *, max_seconds: float, farm_stats_url: str
) -> None:
    """Run one polling pass over the seeded database and fill in ``result``."""
    settings = Settings(
        **database_fields(db_path), allow_private_addresses=True,
        per_host_limit=result.per_host_limit,
    )
    fetch_settings = replace(fetch_settings_for(settings), timeout_seconds=result.timeout_seconds)
    result.global_limit = fetch_settings.global_limit
    database = await Database.open(db_path)
    session = Fetcher.create_session(fetch_settings)
    reading_pool = reading_pool_for(settings)
    try:
        pass_now = datetime.now(UTC)
        repositories = Repositories.over(database)
        services = Services.build(
            settings, repositories, Fetcher(session, fetch_settings), reading_pool,
            clock=lambda: pass_now,
        )
        result.due_before = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE next_check_at <= ?",
            (pass_now.timestamp(),),
        )
        result.rss_before_mb = rss_mb()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        max_batches = math.ceil(result.feeds / DUE_BATCH) + MAX_BATCHES_SLACK
        try:
            async with asyncio.timeout(max_seconds):
                if result.mode == "all":
                    report = await services.poller.poll_all()
                    result.batches = 1
                    result.batch_seconds.append(time.perf_counter() - started)
                    result.feeds_checked = report.feeds_checked
                    result.feeds_failed = report.feeds_failed
                    result.outbox_ids = len(report.outbox_ids)
                    result.finished = True
                elif result.mode == "pool":
                    await pooled_pass(services, repositories, pass_now, result)
                else:
                    for _ in range(max_batches):
                        batch_started = time.perf_counter()
                        report = await services.poller.poll_due()
                        if report.feeds_checked == 0:
                            result.finished = True
                            break
                        result.batches += 1
                        result.batch_seconds.append(time.perf_counter() - batch_started)
                        result.feeds_checked += report.feeds_checked
                        result.feeds_failed += report.feeds_failed
                        result.outbox_ids += len(report.outbox_ids)
        except TimeoutError:
            print(f"!! pass stopped by the --max-seconds limit ({max_seconds:g} s)",
                  file=sys.stderr)
        result.wall_seconds = time.perf_counter() - started
        result.cpu_seconds = cpu_seconds() - cpu_before
        result.peak_rss_mb = peak_rss_mb()
        result.outbox_rows = await count(database, "SELECT COUNT(*) FROM outbox")
        result.failures_recorded = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE error_count > 0"
        )
        result.feeds_checked_in_db = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE last_checked_at = ?",
            (pass_now.timestamp(),),
        )
        result.notices = await count(database, "SELECT COUNT(*) FROM notices")
        result.still_due = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE next_check_at <= ?",
            (pass_now.timestamp(),),
        )
        async with session.get(farm_stats_url) as response:
            stats = await response.json()
        result.server_counts = {k: int(v) for k, v in stats["counts"].items()}
        result.server_requests = sum(
            v for k, v in result.server_counts.items() if k.startswith("kind:")
        )
        result.server_cpu_seconds = float(stats["cpu_seconds"])
    finally:
        await reading_pool.close()
        await session.close()
        await database.close()


def print_report(result: PassResult) -> None:
    """Print the figures of one pass."""
    refused = result.kinds.get("refused", 0)
    requests = result.server_requests + refused
    wall = max(result.wall_seconds, 1e-9)
    batches = result.batch_seconds or [0.0]
    workers = result.workers if result.mode == "pool" else CONCURRENT_FEEDS
    concurrency = min(workers, result.per_host_limit, result.global_limit)
    print(f"feeds {result.feeds}, subscriptions {result.subscriptions}, "
          f"guilds {max(1, result.feeds // FEEDS_PER_GUILD)}, mix {json.dumps(result.kinds)}")
    shown = f"pool workers={result.workers}" if result.mode == "pool" else result.mode
    print(f"settings: mode={shown} per_host_limit={result.per_host_limit} "
          f"global_limit={result.global_limit} CONCURRENT_FEEDS={CONCURRENT_FEEDS} "
          f"DUE_BATCH={DUE_BATCH} timeout={result.timeout_seconds:g}s ports={result.ports} "
          f"-> at most {concurrency} fetches at once against 127.0.0.1")
    print(f"set-up (not measured): seeding {result.seed_seconds:.1f} s")
    print(f"pass: {'finished' if result.finished else 'NOT FINISHED'} in "
          f"{result.wall_seconds:.1f} s wall, {result.batches} batch(es) "
          f"(median {statistics.median(batches):.2f} s, max {max(batches):.2f} s)")
    print(f"  requests {requests} ({result.server_requests} answered by the farm + {refused} "
          f"refused) = {requests / wall:.0f} requests/s; feeds checked "
          f"{result.feeds_checked}/{result.due_before} = {result.feeds_checked / wall:.0f} feeds/s")
    print(f"  poller CPU {result.cpu_seconds:.1f} s ({result.cpu_seconds / wall:.0%} of one core);"
          f" farm CPU {result.server_cpu_seconds:.1f} s")
    print(f"  RSS before pass {result.rss_before_mb:.0f} MB, peak {result.peak_rss_mb:.0f} MB")
    print(f"  outbox rows {result.outbox_rows} (expected {result.expected_outbox_rows}); "
          f"failures recorded {result.failures_recorded} (expected {result.expected_failures}),"
          f" reported failed {result.feeds_failed}; notices {result.notices}")
    print(f"  farm answers {json.dumps(result.server_counts, sort_keys=True)}")
    met = result.finished and result.wall_seconds < 60 and result.peak_rss_mb < 300
    print(f"target (< 60 s, < 300 MB): {'met' if met else 'MISSED'}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench from the command line; 1 when the pass did not finish."""
    parser = bench_parser(
        __doc__,
        quick=f"{QUICK_FEEDS} feeds, {QUICK_TIMEOUT:g} s timeout, {QUICK_SLOW_SECONDS[0]:g}-"
        f"{QUICK_SLOW_SECONDS[1]:g} s slow feeds, per-host limit {QUICK_PER_HOST_LIMIT}",
    )
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--per-host-limit", type=int, default=None,
                        help="FetchSettings.per_host_limit (default: the Settings default, 2)")
    parser.add_argument(
        "--mode", choices=("due", "all", "pool"), default="due",
        help="due: poll_due until nothing is due (the scheduler's call); all: poll_all; "
        "pool: what-if, Poller.poll_feed from --workers workers with no batch barrier",
    )
    parser.add_argument("--workers", type=int, default=CONCURRENT_FEEDS,
                        help="workers for --mode pool")
    parser.add_argument("--timeout", type=float, default=None,
                        help="fetch timeout in seconds (default 15, the FetchSettings default)")
    parser.add_argument("--ports", type=int, default=1, help="farm ports (one 'site' each)")
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--slow", type=float, default=0.01)
    parser.add_argument("--failing", type=float, default=0.01)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    add_engine_options(parser)
    args = parser.parse_args(argv)

    feeds = QUICK_FEEDS if args.quick and args.feeds == 10_000 else args.feeds
    timeout = args.timeout if args.timeout is not None else (
        QUICK_TIMEOUT if args.quick else 15.0
    )
    per_host = args.per_host_limit
    if per_host is None:
        per_host = QUICK_PER_HOST_LIMIT if args.quick else Settings().per_host_limit
    slow_range = QUICK_SLOW_SECONDS if args.quick else (1.0, 3.0)
    config = FarmConfig(
        feeds=feeds, changed_share=args.changed, slow_share=args.slow,
        failing_share=args.failing, slow_seconds=slow_range, hang_seconds=timeout + 5.0,
    )
    counts = subscriber_counts(feeds)
    kinds = kind_counts(config)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    results: dict[str, PassResult] = {}
    for engine in args.engines:
        result = PassResult(
            feeds=feeds, subscriptions=sum(counts), mode=args.mode, workers=args.workers,
            per_host_limit=per_host,
            global_limit=0, timeout_seconds=timeout, ports=args.ports, kinds=kinds,
            expected_outbox_rows=config.expected_outbox_rows(counts),
            expected_failures=sum(kinds.get(kind, 0) for kind in FAILING_KINDS),
        )
        run_pass(config, result, engine=engine, postgres=args.postgres, quick=args.quick,
                 max_seconds=args.max_seconds)
        if len(args.engines) > 1:
            print(f"== --db {engine}")
        print_report(result)
        results[engine] = result
    if len(results) > 1:
        print("side by side: " + "; ".join(
            f"{engine} {result.wall_seconds:.1f} s"
            f" ({result.feeds_checked / max(result.wall_seconds, 1e-9):.0f} feeds/s),"
            f" outbox rows {result.outbox_rows}/{result.expected_outbox_rows}"
            for engine, result in results.items()
        ))
    write_figures(
        args.json, results[args.engines[0]] if len(results) == 1
        else {engine: asdict(result) for engine, result in results.items()},
    )
    return 0 if all(result.finished for result in results.values()) else 1


def run_pass(
    config: FarmConfig, result: PassResult, *, engine: str, postgres: str, quick: bool,
    max_seconds: float,
) -> None:
    """Seed a fresh database on ``engine`` from a fresh farm, then measure one pass."""
    lifetime = max_seconds + 1800.0
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp, FarmProcess(
        config, ports=result.ports, lifetime=lifetime
    ) as farm, bench_database_sync(engine, Path(tmp), postgres, "polling") as db_path:
        seed_started = time.perf_counter()
        urls = [farm.url(n) for n in range(result.feeds)]
        if quick:  # a quick run's peak RSS means nothing: spare the seeding process
            made = asyncio.run(seed(db_path, config, urls))
        else:
            made = run_seed_process(db_path, config, urls, 1800.0)
        result.seed_seconds = time.perf_counter() - seed_started
        assert made == result.subscriptions, (made, result.subscriptions)
        asyncio.run(
            measure_pass(db_path, result, max_seconds=max_seconds,
                         farm_stats_url=farm.stats_url())
        )


if __name__ == "__main__":
    sys.exit(main())
