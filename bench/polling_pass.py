"""Polling pass at scale: the real ``Poller`` over 10,000 feeds served from 127.0.0.1.

Usage (from the repository root)::

    python -m bench.polling_pass [--feeds 10000] [--per-host-limit 2] [--mode due|all|pool]
                                 [--workers 8] [--timeout 15] [--ports 1] [--hosts 1] [--quick]
                                 [--json PATH] [--db sqlite|postgres [...]]
                                 [--postgres ADDRESS] [--pollers N [N ...]]

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

``--hosts N``: the farm listens on 127.0.0.1 to 127.0.0.N and spreads the feeds over them;
the fetcher's per-host limit and the pollers' host buckets go by host (not port), so with
one host every feed is in one bucket and one poller checks them all.

``--pollers N [N ...]`` (with ``--db postgres``): pollers in processes of their own. One farm
and one seeded database; for each N in turn, a copy of that database and N child processes
each running the poller role (``serve_role("poller")``, what ``newsdesk run --role poller``
runs; settings: loopback allowed, ``--per-host-limit``, ``--timeout``, every other setting
its default). The feeds are held a day away until the pollers have started and share the
host buckets evenly (start-up, printed apart); then every feed is made due at once and
``FEEDS_CHANGED`` is hinted, and the pass is timed until every feed's check is recorded.
The pollers are then stopped with SIGTERM. Checked: every feed checked exactly once (each
reachable feed fetched once at the farm, none twice, no failure counted twice), outbox rows
and failures as the mix implies, no claim or bucket left after the stop; and the passes'
wall times side by side against the 1-poller pass (``--pollers 1 3``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import multiprocessing
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser, write_figures
from bench.support.databases import (
    add_engine_options,
    bench_database_sync,
    create_database,
    database_fields,
    drop_database,
    fresh_name,
)
from bench.support.feed_farm import (
    CHANGED,
    FAILING_KINDS,
    REFUSED,
    FarmConfig,
    FarmProcess,
    kind_counts,
)
from bench.support.poller_process import start_poller
from bot.app.polling import fetch_settings_for
from bot.app.services import Services, reading_pool_for
from bot.app.settings import Settings
from bot.core.models import FeedSnapshot, NewArticle
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import parse_feed
from bot.pipeline.poll.poller import CONCURRENT_FEEDS
from storage import Database, Repositories
from storage.poll_buckets import HOST_BUCKETS
from storage.wakeups import Topic, Wakeups

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
    hosts: int = 1
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
        per_host_limit=result.per_host_limit, fetch_timeout_seconds=result.timeout_seconds,
    )
    fetch_settings = fetch_settings_for(settings)
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
        max_batches = math.ceil(result.feeds / settings.poll_batch) + MAX_BATCHES_SLACK
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
          f"claim batch={Settings().poll_batch} timeout={result.timeout_seconds:g}s "
          f"ports={result.ports} hosts={result.hosts} "
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
    parser.add_argument(
        "--hosts", type=int, default=1,
        help="farm hosts: loopback addresses 127.0.0.1 to 127.0.0.N (the fetcher's per-host "
        "limit and the pollers' host buckets go by host, not port)",
    )
    parser.add_argument(
        "--pollers", type=int, nargs="+", metavar="N",
        help="PostgreSQL: instead of the in-process pass, run the poller role in N child "
        "processes (one pass per N given, each on a copy of the same seeded database, e.g. "
        "--pollers 1 3), and print the figures side by side",
    )
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
    if args.pollers:
        if args.engines != ["postgres"]:
            parser.error("--pollers runs pollers in processes of their own over PostgreSQL: "
                         "add --db postgres")
        plan = PollersPlan(
            feeds=feeds, subscriptions=sum(counts), per_host_limit=per_host,
            timeout_seconds=timeout, ports=args.ports, hosts=args.hosts, kinds=kinds,
            expected_outbox_rows=config.expected_outbox_rows(counts),
            expected_failures=sum(kinds.get(kind, 0) for kind in FAILING_KINDS),
        )
        passes = run_poller_passes(config, plan, args.pollers, postgres=args.postgres,
                                   quick=args.quick, max_seconds=args.max_seconds)
        ok = print_poller_passes(plan, passes)
        write_figures(args.json, {"plan": asdict(plan),
                                  "passes": [asdict(one) for one in passes]})
        return 0 if ok else 1
    results: dict[str, PassResult] = {}
    for engine in args.engines:
        result = PassResult(
            feeds=feeds, subscriptions=sum(counts), mode=args.mode, workers=args.workers,
            per_host_limit=per_host,
            global_limit=0, timeout_seconds=timeout, ports=args.ports, kinds=kinds,
            hosts=args.hosts, expected_outbox_rows=config.expected_outbox_rows(counts),
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
        config, ports=result.ports, hosts=result.hosts, lifetime=lifetime
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


# -- Pollers ×N: the poller role in processes of its own over PostgreSQL ---------------------

BALANCE_LIMIT_SECONDS = 180.0
STOP_LIMIT_SECONDS = 60.0
WATCH_SECONDS = 0.1


@dataclass
class PollersPlan:
    """What every pass of ``--pollers`` runs over, and what the farm says it should do."""

    feeds: int
    subscriptions: int
    per_host_limit: int
    timeout_seconds: float
    ports: int
    hosts: int
    kinds: dict[str, int]
    expected_outbox_rows: int
    expected_failures: int
    seed_seconds: float = 0.0


@dataclass
class PollersPass:
    """One pass by ``pollers`` poller processes."""

    pollers: int
    startup_seconds: float = 0.0
    wall_seconds: float = 0.0
    finished: bool = False
    feeds_checked_in_db: int = 0
    checked_more_than_once: int = 0
    farm_fetched_once: int = 0
    farm_fetched_twice_or_more: int = 0
    farm_never_fetched: int = 0
    outbox_rows: int = 0
    failures_recorded: int = 0
    claims_left: int = 0
    buckets_held_after_stop: int = 0
    feeds_per_poller: list[int] = field(default_factory=list)
    hosts_per_poller: list[int] = field(default_factory=list)
    children_cpu_seconds: float = 0.0
    stopped_cleanly: int = 0
    server_counts: dict[str, int] = field(default_factory=dict)

    def exactly_once(self, plan: PollersPlan) -> bool:
        """Whether every feed was checked, none twice (farm counts and failure counts)."""
        reachable = plan.feeds - plan.kinds.get(REFUSED, 0)
        return (
            self.finished and self.feeds_checked_in_db == plan.feeds
            and self.checked_more_than_once == 0 and self.farm_fetched_once == reachable
            and self.farm_fetched_twice_or_more == 0 and self.farm_never_fetched == 0
        )


def run_poller_passes(
    config: FarmConfig, plan: PollersPlan, pollers: Sequence[int], *, postgres: str,
    quick: bool, max_seconds: float,
) -> list[PollersPass]:
    """Seed one PostgreSQL database from one farm, then run a pass for each count of
    ``pollers``, each on a fresh copy of the seeded database."""
    lifetime = max_seconds * len(pollers) + 1800.0
    seeded = fresh_name("polling_seed")
    with FarmProcess(config, ports=plan.ports, hosts=plan.hosts, lifetime=lifetime) as farm:
        address = asyncio.run(create_database(postgres, seeded))
        try:
            started = time.perf_counter()
            urls = [farm.url(n) for n in range(plan.feeds)]
            made = (asyncio.run(seed(address, config, urls)) if quick
                    else run_seed_process(address, config, urls, 1800.0))
            plan.seed_seconds = time.perf_counter() - started
            assert made == plan.subscriptions, (made, plan.subscriptions)
            passes: list[PollersPass] = []
            for count in pollers:
                copy = asyncio.run(
                    create_database(postgres, fresh_name("polling_pass"), template=seeded)
                )
                try:
                    passes.append(poller_pass(copy, farm, plan, count, max_seconds))
                finally:
                    asyncio.run(drop_database(postgres, copy))
            return passes
        finally:
            asyncio.run(drop_database(postgres, address))


def poller_pass(
    address: str, farm: FarmProcess, plan: PollersPlan, pollers: int, max_seconds: float
) -> PollersPass:
    """Start ``pollers`` poller processes over ``address``; once they share the host buckets
    make every feed due and hint them; measure until every feed is checked; stop them."""
    result = PollersPass(pollers)
    fields = {
        "database_url": address, "allow_private_addresses": True,
        "per_host_limit": plan.per_host_limit, "fetch_timeout_seconds": plan.timeout_seconds,
    }
    asyncio.run(_hold_every_feed(address, farm))
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    processes = [start_poller(fields) for _ in range(pollers)]
    try:
        asyncio.run(_measure(
            address, plan, result, pollers=pollers, started=started, max_seconds=max_seconds
        ))
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()  # SIGTERM: the role's graceful stop
        for process in processes:
            try:
                code = process.wait(STOP_LIMIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            else:
                if code in (0, -signal.SIGTERM):
                    result.stopped_cleanly += 1
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.children_cpu_seconds = (
        children_after.ru_utime + children_after.ru_stime
        - children_before.ru_utime - children_before.ru_stime
    )
    asyncio.run(_after_stop(address, farm, plan, result))
    return result


async def _hold_every_feed(address: str, farm: FarmProcess) -> None:
    """Push every feed's next check a day away (the pollers start with nothing due) and zero
    the farm's counts."""
    database = await Database.open(address)
    try:
        async with database.transaction() as tx:
            await tx.execute("UPDATE feeds SET next_check_at = ?",
                             (time.time() + 86_400.0,))
    finally:
        await database.close()
    session = Fetcher.create_session(fetch_settings_for(Settings(allow_private_addresses=True)))
    try:
        async with session.post(farm.reset_url()) as response:
            response.raise_for_status()
    finally:
        await session.close()


async def _measure(
    address: str, plan: PollersPlan, result: PollersPass, *, pollers: int, started: float,
    max_seconds: float,
) -> None:
    """Wait until the pollers share the buckets, make every feed due, and time the pass."""
    database = await Database.open(address)
    try:
        repositories = Repositories.over(database)
        share = math.ceil(HOST_BUCKETS / pollers)

        async def balanced() -> bool:
            held = await repositories.poll_buckets.holders()
            sizes = [len(buckets) for buckets in held.values()]
            return (len(held) == pollers and sum(sizes) == HOST_BUCKETS
                    and max(sizes) <= share)

        if not await _watch(balanced, BALANCE_LIMIT_SECONDS):
            raise RuntimeError(f"the pollers did not share the buckets within "
                               f"{BALANCE_LIMIT_SECONDS:g} s")
        result.startup_seconds = time.perf_counter() - started
        held = await repositories.poll_buckets.holders()
        rows = await database.fetch_all(
            "SELECT host_bucket, url FROM feeds"
        )
        by_bucket: dict[int, list[str]] = {}
        for row in rows:
            by_bucket.setdefault(int(row["host_bucket"]), []).append(str(row["url"]))
        for buckets in held.values():
            urls = [url for bucket in buckets for url in by_bucket.get(bucket, [])]
            result.feeds_per_poller.append(len(urls))
            result.hosts_per_poller.append(len({url.split("/")[2].split(":")[0] for url in urls}))
        result.feeds_per_poller.sort(reverse=True)
        result.hosts_per_poller.sort(reverse=True)

        go = time.perf_counter()
        async with database.transaction() as tx:
            await tx.execute("UPDATE feeds SET next_check_at = ?", (time.time() - 60.0,))
        await Wakeups(database).hint(Topic.FEEDS_CHANGED)  # as /feed add would

        async def all_checked() -> bool:
            return await count(
                database, "SELECT COUNT(*) FROM feeds WHERE last_checked_at IS NOT NULL"
            ) >= plan.feeds

        result.finished = await _watch(all_checked, max_seconds)
        if not result.finished:
            print(f"!! pass stopped by the --max-seconds limit ({max_seconds:g} s)",
                  file=sys.stderr)
        result.wall_seconds = time.perf_counter() - go
    finally:
        await database.close()


async def _watch(condition: Callable[[], Awaitable[bool]], limit: float) -> bool:
    """Check ``condition`` every ``WATCH_SECONDS`` until it holds (True) or ``limit`` seconds
    pass (False)."""
    deadline = time.perf_counter() + limit
    while True:
        if await condition():
            return True
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(WATCH_SECONDS)


async def _after_stop(
    address: str, farm: FarmProcess, plan: PollersPlan, result: PollersPass
) -> None:
    database = await Database.open(address)
    try:
        result.feeds_checked_in_db = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE last_checked_at IS NOT NULL"
        )
        result.checked_more_than_once = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE error_count > 1"
        )
        result.outbox_rows = await count(database, "SELECT COUNT(*) FROM outbox")
        result.failures_recorded = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE error_count > 0"
        )
        result.claims_left = await count(
            database, "SELECT COUNT(*) FROM feeds WHERE claimed_until IS NOT NULL"
        )
        result.buckets_held_after_stop = sum(
            len(buckets) for buckets in (await Repositories.over(database).poll_buckets
                                         .holders()).values()
        )
    finally:
        await database.close()
    session = Fetcher.create_session(fetch_settings_for(Settings(allow_private_addresses=True)))
    try:
        async with session.get(farm.stats_url(per_feed=True)) as response:
            stats = await response.json()
    finally:
        await session.close()
    result.server_counts = {k: int(v) for k, v in stats["counts"].items()}
    fetched = {int(n): int(times) for n, times in stats["per_feed"].items()}
    reachable = [n for n in range(plan.feeds) if farm.config.kinds[n] != REFUSED]
    result.farm_fetched_once = sum(1 for n in reachable if fetched.get(n, 0) == 1)
    result.farm_fetched_twice_or_more = sum(1 for n in reachable if fetched.get(n, 0) >= 2)
    result.farm_never_fetched = sum(1 for n in reachable if fetched.get(n, 0) == 0)


def print_poller_passes(plan: PollersPlan, passes: list[PollersPass]) -> bool:
    """Print each pass and the comparison; return whether the targets were met."""
    reachable = plan.feeds - plan.kinds.get(REFUSED, 0)
    print(f"feeds {plan.feeds}, subscriptions {plan.subscriptions}, mix {json.dumps(plan.kinds)}")
    print(f"settings: per_host_limit={plan.per_host_limit} timeout={plan.timeout_seconds:g}s "
          f"farm hosts={plan.hosts} ports={plan.ports}; each poller: "
          f"{CONCURRENT_FEEDS} workers, claim batch {Settings().poll_batch}, "
          f"{HOST_BUCKETS} host buckets shared")
    print(f"set-up (not measured): seeding {plan.seed_seconds:.1f} s")
    for one in passes:
        wall = max(one.wall_seconds, 1e-9)
        print(f"== --pollers {one.pollers}: {'finished' if one.finished else 'NOT FINISHED'} "
              f"in {one.wall_seconds:.1f} s wall ({plan.feeds / wall:.0f} feeds/s) after "
              f"{one.startup_seconds:.1f} s start-up (processes up, buckets shared)")
        print(f"  feeds per poller {one.feeds_per_poller} (farm hosts {one.hosts_per_poller});"
              f" CPU of the poller processes {one.children_cpu_seconds:.1f} s")
        print(f"  checked {one.feeds_checked_in_db}/{plan.feeds}; farm fetched once "
              f"{one.farm_fetched_once}/{reachable}, twice or more "
              f"{one.farm_fetched_twice_or_more}, never {one.farm_never_fetched}; "
              f"failures recorded {one.failures_recorded} (expected {plan.expected_failures},"
              f" {one.checked_more_than_once} twice)")
        print(f"  outbox rows {one.outbox_rows}/{plan.expected_outbox_rows}; after stop: "
              f"claims left {one.claims_left}, buckets held {one.buckets_held_after_stop}, "
              f"stopped cleanly {one.stopped_cleanly}/{one.pollers}")
    ok = all(
        one.exactly_once(plan) and one.outbox_rows == plan.expected_outbox_rows
        and one.failures_recorded == plan.expected_failures
        for one in passes
    )
    single = [one for one in passes if one.pollers == 1]
    if single:
        baseline = single[0].wall_seconds
        print("side by side: " + "; ".join(
            f"{one.pollers} poller(s) {one.wall_seconds:.1f} s"
            f" ({baseline / max(one.wall_seconds, 1e-9):.2f}x the single process)"
            for one in passes
        ))
        faster = all(one.wall_seconds < baseline for one in passes if one.pollers > 1)
        print(f"target (every feed checked exactly once, {plan.expected_outbox_rows}/"
              f"{plan.expected_outbox_rows} outbox rows, several pollers faster than one): "
              f"{'met' if ok and faster else 'MISSED'}")
    else:
        print(f"target (every feed checked exactly once, outbox rows as expected): "
              f"{'met' if ok else 'MISSED'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
