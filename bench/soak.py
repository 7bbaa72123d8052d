"""Soak: 1,000 servers, 5,000 subscriptions over 2,000 live feeds, and a stream of commands.

Usage (from the repository root)::

    python -m bench.soak [--minutes 30] [--quick] [--json PATH] [--keep DIR]
    python -m bench.soak --distributed [--kill-every 180] [--replace-after 5]
                         [--shard-count 8] [--hosts 16] [--postgres ADDRESS] [--minutes 30] …

Four processes, all on 127.0.0.1 (helpers and the plan in ``bench.support.soak``, each
child started as ``python -m bench.support.soak farm|sandbox|bot``):

- the feed farm: 2,000 RSS feeds that gain new items steadily (``--item-rate`` per second
  over all feeds, evenly spread) and the article page behind every item;
- the sandbox Discord (``bot.sandbox.Sandbox``, Discord's rate limits enforced) with
  1,000 guilds, each with an editor (Manage Server) and a reader; it also types the
  command stream (``/help``, ``/feed list``, ``/feed status``, ``/search``, ``/feed why``,
  one in five each, ``--command-rate`` per second from random guilds and people) and
  stamps when the bot first answered each one;
- the real, unmodified bot (``open_newsdesk``) in its own process, so its RSS and CPU are
  its own (nothing of the bench, the sandbox or the farm is in it), polling every feed every
  ``--poll-interval`` seconds (scheduler tick 5 s), reading each new article's page from
  the farm and posting it to every channel that follows the feed;
- this process: seeds the 5,000 subscriptions through ``SubscriptionRepository.subscribe``
  before the bot starts (not measured), has the app owner run ``/sync scope:global`` so
  every guild has the commands, then samples the bot's RSS every ``--sample-seconds``.

Items are published for ``--minutes``; then publishing stops and the bench waits (at most
``poll interval + DRAIN_SLACK`` seconds) for the last posts. Expected posts are every item
published × every channel following its feed, each exactly once (by embed URL and channel).

Prints: command first response p50/p95/p99 (sandbox clock, dispatch to the bot's first
callback), answered and completed times for reference, outcomes; posts delivered against
expected (missing, duplicated, unexpected); the bot's RSS over time and its growth after
warm-up; 429s. Targets: p99 first response < 1 s, every expected post once, RSS growth
after warm-up < 10 %. Exit status 0 when every target is met.

``--quick``: 50 guilds, 250 subscriptions over 100 feeds, 2 s poll interval, 5 s of items
(8/s) and commands (21/s), about 15 s in all; its exit status judges the behaviour only
(every post once, no 429, every command answered), not latency or memory.

``--distributed`` (``bench.support.distributed``): the same world, but the bot is a
deployment over a fresh PostgreSQL database (``--postgres``, as ``bench.support.databases``):
2 gateway clusters × 4 of ``--shard-count`` 8 shards, 2 pollers, 2 readers, desk ×2 and
deliverer ×2 (leader + standby), each its own process (``bench.support.role_process``,
what ``newsdesk run --role`` runs); the farm's feeds spread over ``--hosts`` loopback
hosts (127.0.0.1 to 127.0.0.16) so both pollers have hosts of their own. Every
``--kill-every`` seconds one role process is killed (SIGKILL to its process group) and
replaced ``--replace-after`` seconds later. Also printed: each kill (target, backlog,
replaced, ready, caught up), leader takeovers, the time from publication to post, 429s by
limit, CPU and RSS per process slot. Targets: every post once, zero 429s, p99 first
response < 1 s over the commands sent, every command sent answered, every killed role
replaced and caught up, no process dying by itself (memory is reported, not judged).
Quick: the quick world over 8 shards (``max_concurrency`` 8), 20 s of items and commands,
a kill every 8 s replaced 1 s later (two kills); the exit status judges the behaviour.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser, write_figures
from bench.support.databases import (
    DEFAULT_SERVER,
    add_postgres_option,
    bench_database,
    create_database,
    fresh_name,
)
from bench.support.delivery import SandboxInfo, Tally, tally
from bench.support.distributed import (
    Chaos,
    Distributed,
    Topology,
    Watch,
    shard_of,
    unexpected,
    wait_for_shards,
)
from bench.support.role_process import write_settings
from bench.support.soak import (
    COMMAND_TIMEOUT,
    SHARD_DOWN,
    Child,
    Control,
    Plan,
    cpu_seconds,
    expected_pairs,
    guild_ids,
    rss_mb,
    seed,
    soak_settings,
)
from bench.support.supervisor import Supervisor
from storage import Database

# Quick: small, short and dense, so that over 100 posts and 100 commands flow in a few
# seconds (what the smoke test checks), with polls frequent enough to drain fast.
QUICK = Plan(
    guilds=50, feeds=100, subscriptions=250, item_rate=8.0, poll_interval=2,
    scheduler_tick=1.0, command_rate=21.0,
)
QUICK_SECONDS = 5.0
QUICK_SAMPLE_SECONDS = 2.0
DRAIN_SLACK = 120.0
QUICK_DRAIN_SLACK = 30.0
DRAIN_POLL_SECONDS = 0.5
START_TIMEOUT = 300.0
WARM_UP_SHARE = 0.2
WARM_UP_MAX_SECONDS = 300.0
FIRST_RESPONSE_TARGET = 1.0
MEMORY_GROWTH_TARGET = 10.0
# Distributed: 8 shards over 2 gateway clusters; a kill every 3 minutes, its replacement 5 s
# later. Quick: the same deployment over the quick world, two kills in 20 s of items.
SHARD_COUNT = 8
DISTRIBUTED_HOSTS = 16
DEFAULT_KILL_EVERY = 180.0
DEFAULT_REPLACE_AFTER = 5.0
QUICK_DISTRIBUTED_SECONDS = 20.0
QUICK_KILL_EVERY = 8.0
QUICK_REPLACE_AFTER = 1.0
WATCH_SECONDS = 0.5
INTERRUPTED = "interrupted by a kill"  # in flight on a gateway process when it was killed
KILL_NOTICE_SECONDS = 2.0  # a socket of a killed process may look open this long
MISSING_SHOWN = 20


@dataclass
class SoakResult:
    """The figures of one soak."""

    plan: Plan
    seconds: float
    setup: dict[str, float] = field(default_factory=dict)
    commands: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    first_response: dict[str, float] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)
    completed: dict[str, float] = field(default_factory=dict)
    per_kind_p99: dict[str, float] = field(default_factory=dict)
    slowest: list[dict[str, Any]] = field(default_factory=list)
    tally: Tally | None = None
    drain_seconds: float = 0.0
    rss: list[tuple[float, float]] = field(default_factory=list)
    warm_up_seconds: float = 0.0
    rss_growth_percent: float = 0.0
    bot_cpu_seconds: float = 0.0
    sandbox: dict[str, Any] = field(default_factory=dict)
    farm: dict[str, int] = field(default_factory=dict)
    distributed: Distributed | None = None

    @property
    def commands_ok(self) -> bool:
        """Every command sent answered (no refusal, time-out or apology), none skipped; in one
        process, none found its shard down either."""
        sent = int(self.commands.get("sent", 0))
        lost_to_kills = int(self.commands.get("shard_down", 0)) + int(
            self.commands.get("interrupted", 0)
        )
        return (
            sent > 0 and self.outcomes.get("ok", 0) == sent and not self.commands["skipped"]
            and (self.distributed is not None or lost_to_kills == 0)
        )

    @property
    def kills_ok(self) -> bool:
        """Distributed: every killed role replaced and caught up, none died by itself."""
        return self.distributed is None or self.distributed.kills_ok

    @property
    def posts_ok(self) -> bool:
        """Every expected post delivered exactly once, nothing else posted."""
        t = self.tally
        return (
            t is not None and t.expected > 0 and t.delivered == t.expected
            and t.duplicated == 0 and t.unexpected == 0
        )

    @property
    def behaviour_ok(self) -> bool:
        """What the smoke test asserts: posts once, no 429, commands answered (and, when
        distributed, every kill recovered from)."""
        return (
            self.posts_ok and self.commands_ok and self.sandbox.get("rate_limit_hits") == 0
            and self.kills_ok
        )

    @property
    def latency_ok(self) -> bool:
        """p99 first response under the target."""
        return self.first_response.get("p99", float("inf")) < FIRST_RESPONSE_TARGET

    @property
    def memory_ok(self) -> bool:
        """RSS growth after warm-up under the target."""
        return self.rss_growth_percent < MEMORY_GROWTH_TARGET


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of ``values`` (nearest rank), and how many."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    return {
        "count": len(ordered), "p50": rank(50), "p95": rank(95), "p99": rank(99),
        "max": ordered[-1], "mean": statistics.fmean(ordered),
    }


def rss_growth(samples: list[tuple[float, float]], warm_up: float) -> float:
    """Growth (%) from the median of the first three samples after warm-up to the median
    of the last three."""
    after = [rss for at, rss in samples if at >= warm_up]
    if len(after) < 2:
        return 0.0
    width = min(3, len(after) // 2)
    base = statistics.median(after[:width])
    last = statistics.median(after[-width:])
    return (last - base) / base * 100.0


async def collect_final(
    control: Control, control_url: str, farm_base: str, result: SoakResult
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Once the posts have drained: wait (up to a minute) for the command stream to finish,
    then read the commands, the posts, the sandbox's and the farm's counters."""
    for _ in range(int(60 / 0.5)):
        commands: dict[str, Any] = await control.get(control_url + "/commands")
        if commands["done"]:
            break
        await asyncio.sleep(0.5)
    posts: list[dict[str, Any]] = await control.get(control_url + "/posts")
    result.sandbox = await control.get(control_url + "/stats")
    result.farm = await control.get(farm_base + "/_farm/stats")
    return commands, posts


async def run_soak(plan: Plan, seconds: float, sample_seconds: float, workdir: Path) -> SoakResult:
    """Run one soak of ``seconds`` of items and commands; return its figures."""
    plan.check()
    result = SoakResult(plan=plan, seconds=seconds)
    plan_path = workdir / "plan.json"
    plan.save(plan_path)
    control = Control()
    children: list[Child] = []
    try:
        began = time.perf_counter()
        farm = Child(["farm", "--plan", str(plan_path), "--info", str(workdir / "farm.json")],
                     workdir / "farm.log")
        children.append(farm)
        sandbox = Child(
            ["sandbox", "--plan", str(plan_path), "--info", str(workdir / "sandbox.json")],
            workdir / "sandbox.log",
        )
        children.append(sandbox)
        farm_base = str((await farm.wait_for_file(workdir / "farm.json", START_TIMEOUT))["base"])
        sandbox_info = await sandbox.wait_for_file(workdir / "sandbox.json", START_TIMEOUT)
        control_url = str(sandbox_info["control_url"])
        result.setup["processes_seconds"] = time.perf_counter() - began

        seeding = time.perf_counter()
        db_path = workdir / "newsdesk.sqlite3"
        await seed(plan, db_path, farm_base)
        result.setup["seed_seconds"] = time.perf_counter() - seeding

        connecting = time.perf_counter()
        bot = Child(
            ["bot", "--plan", str(plan_path), "--sandbox-info", str(workdir / "sandbox.json"),
             "--db", str(db_path), "--ready", str(workdir / "bot-ready.json")],
            workdir / "bot.log",
        )
        children.append(bot)
        ready = await bot.wait_for_file(workdir / "bot-ready.json", START_TIMEOUT)
        result.setup["bot_ready_seconds"] = time.perf_counter() - connecting
        result.setup["bot_guilds"] = float(ready["guilds"])
        for _ in range(int(START_TIMEOUT / 0.2)):
            stats = await control.get(control_url + "/stats")
            if stats["commands_synced"]:
                break
            await asyncio.sleep(0.2)
        synced = await control.post(control_url + "/sync", {})
        if not synced["global_commands"]:
            raise RuntimeError(f"/sync scope:global did not publish the commands: {synced}")
        result.setup["world_seconds"] = float(stats["world_seconds"])

        start = time.time() + 1.0
        end = start + seconds
        await control.post(farm_base + "/_farm/start", {"start": start, "end": end})
        await control.post(
            control_url + "/commands",
            {"farm_base": farm_base, "start": start, "rate": plan.command_rate, "seconds": seconds},
        )
        cpu_before = cpu_seconds(bot.pid)
        expected = expected_pairs(plan, farm_base, start, end)
        result.rss.append((0.0, rss_mb(bot.pid)))
        samples = int(seconds // sample_seconds)
        for index in range(1, samples + 1):
            await asyncio.sleep(max(0.0, start + index * sample_seconds - time.time()))
            result.rss.append((time.time() - start, rss_mb(bot.pid)))
            if bot.process.poll() is not None:
                raise RuntimeError(f"the bot process exited; see {bot.log_path}")
        await asyncio.sleep(max(0.0, end - time.time()))

        drain_started = time.time()
        drain_limit = plan.poll_interval + (DRAIN_SLACK if seconds > QUICK_SECONDS else
                                            QUICK_DRAIN_SLACK)
        for _ in range(int(drain_limit / DRAIN_POLL_SECONDS)):
            stats = await control.get(control_url + "/stats")
            if stats["posts"] >= len(expected):
                break
            await asyncio.sleep(DRAIN_POLL_SECONDS)
        await asyncio.sleep(2.0)  # a duplicate would arrive now, if at all
        result.drain_seconds = time.time() - drain_started
        result.rss.append((time.time() - start, rss_mb(bot.pid)))
        result.bot_cpu_seconds = cpu_seconds(bot.pid) - cpu_before

        commands, posts = await collect_final(control, control_url, farm_base, result)
    finally:
        for child in reversed(children):
            child.stop()
        await control.close()

    record_commands(result, commands, start)
    article_posts = [p for p in posts if p["url"] is not None]
    result.tally = tally(article_posts, expected)
    result.warm_up_seconds = min(WARM_UP_MAX_SECONDS, WARM_UP_SHARE * seconds)
    result.rss_growth_percent = rss_growth(result.rss, result.warm_up_seconds)
    return result


@dataclass(frozen=True)
class DistributedOptions:
    """How the distributed soak deploys and disturbs the roles."""

    topology: Topology = field(default_factory=Topology)
    kill_every: float = DEFAULT_KILL_EVERY
    replace_after: float = DEFAULT_REPLACE_AFTER
    postgres: str = DEFAULT_SERVER
    keep_database: bool = False


@asynccontextmanager
async def soak_database(options: DistributedOptions) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for the soak: dropped at the end, unless kept (``--keep``)
    for a look at what the roles left, its address then printed."""
    if not options.keep_database:
        async with bench_database("postgres", Path(), options.postgres, "soak") as address:
            assert isinstance(address, str)
            yield address
        return
    address = await create_database(options.postgres, fresh_name("soak"))
    print(f"the soak's database (kept): {address}")
    yield address


async def run_distributed_soak(
    plan: Plan, seconds: float, sample_seconds: float, workdir: Path, options: DistributedOptions
) -> SoakResult:
    """Run the soak with every role in processes of its own over PostgreSQL, killing one role
    process every ``options.kill_every`` seconds; return its figures."""
    plan.check()
    shard_count = plan.shard_count or 1
    result = SoakResult(plan=plan, seconds=seconds)
    figures = result.distributed = Distributed(
        options.topology, shard_count, options.kill_every, options.replace_after
    )
    plan_path = workdir / "plan.json"
    plan.save(plan_path)
    sandbox_json = workdir / "sandbox.json"
    control = Control()
    children: list[Child] = []
    supervisor: Supervisor | None = None
    database: Database | None = None
    async with soak_database(options) as address:
        assert isinstance(address, str)
        try:
            began = time.perf_counter()
            farm = Child(["farm", "--plan", str(plan_path), "--info", str(workdir / "farm.json")],
                         workdir / "farm.log")
            children.append(farm)
            sandbox = Child(["sandbox", "--plan", str(plan_path), "--info", str(sandbox_json)],
                            workdir / "sandbox.log")
            children.append(sandbox)
            farm_base = str(
                (await farm.wait_for_file(workdir / "farm.json", START_TIMEOUT))["base"]
            )
            control_url = str(
                (await sandbox.wait_for_file(sandbox_json, START_TIMEOUT))["control_url"]
            )
            result.setup["processes_seconds"] = time.perf_counter() - began

            seeding = time.perf_counter()
            await seed(plan, address, farm_base)
            result.setup["seed_seconds"] = time.perf_counter() - seeding

            connecting = time.perf_counter()
            settings_path = workdir / "settings.json"
            settings = soak_settings(plan, SandboxInfo.load(sandbox_json), address)
            write_settings(settings, settings_path)
            supervisor = Supervisor(
                options.topology.slots(shard_count, settings_path, sandbox_json), workdir
            )
            supervisor.start_all()
            stats = await wait_for_shards(control, control_url, shard_count, supervisor)
            result.setup["roles_ready_seconds"] = time.perf_counter() - connecting
            result.setup["bot_guilds"] = float(stats["guilds"])
            result.setup["world_seconds"] = float(stats["world_seconds"])
            synced = await control.post(control_url + "/sync", {})
            if not synced["global_commands"]:
                raise RuntimeError(f"/sync scope:global did not publish the commands: {synced}")

            database = await Database.open(address)
            watch = Watch(plan, farm_base, control, control_url, database)
            chaos = Chaos(
                supervisor, watch, options.topology.shard_ranges(shard_count),
                replace_after=options.replace_after, rng=random.Random(plan.seed),
            )
            start = time.time() + 1.0
            end = start + seconds
            await control.post(farm_base + "/_farm/start", {"start": start, "end": end})
            await control.post(
                control_url + "/commands",
                {"farm_base": farm_base, "start": start, "rate": plan.command_rate,
                 "seconds": seconds},
            )
            expected = expected_pairs(plan, farm_base, start, end)
            watch.plan_schedule(start, end)
            next_sample = start
            next_kill = start + options.kill_every if options.kill_every > 0 else float("inf")
            while time.time() < end:
                await asyncio.sleep(WATCH_SECONDS)
                await watch.look()
                for kill in chaos.kills:
                    watch.update(kill)
                supervisor.reap_exits()
                now = time.time()
                if now >= next_sample:
                    supervisor.sample()
                    next_sample += sample_seconds
                if now >= next_kill:
                    chaos.kill()
                    next_kill += options.kill_every

            drain_started = time.time()
            drain_limit = plan.poll_interval + (
                DRAIN_SLACK if seconds > QUICK_SECONDS else QUICK_DRAIN_SLACK
            ) + options.replace_after
            await chaos.settle()  # the last replacement is started
            while time.time() - drain_started < drain_limit:
                await watch.look()
                for kill in chaos.kills:
                    watch.update(kill)
                supervisor.reap_exits()
                recovered = all(k.caught_up_at is not None for k in chaos.kills)
                if watch.stats["posts"] >= len(expected) and recovered:
                    break
                await asyncio.sleep(DRAIN_POLL_SECONDS)
            await asyncio.sleep(2.0)  # a duplicate would arrive now, if at all
            await watch.look()
            for kill in chaos.kills:
                watch.update(kill)
            result.drain_seconds = time.time() - drain_started
            supervisor.sample()

            commands, posts = await collect_final(control, control_url, farm_base, result)
        finally:
            if supervisor is not None:
                supervisor.stop_all()
            for child in reversed(children):
                child.stop()
            if database is not None:
                await database.close()
            await control.close()

    mark_interrupted(commands["rows"], chaos, guild_ids(plan), shard_count)
    record_commands(result, commands, start)
    note_commands_back(chaos, commands["rows"], guild_ids(plan), shard_count)
    article_posts = [p for p in posts if p["url"] is not None]
    result.tally = tally(article_posts, expected)
    posted = {(str(p["url"]), int(p["channel_id"])) for p in article_posts}
    figures.missing = [
        {"url": url, "channel_id": channel, "published": round(at - start, 1)}
        for at, (url, channel) in watch.schedule if (url, channel) not in posted
    ][:MISSING_SHOWN]
    figures.kills = [kill.summary() for kill in chaos.kills]
    figures.unexpected_exits = unexpected(supervisor.unexpected_exits)
    figures.per_slot = supervisor.per_slot()
    figures.takeovers = [
        {"role": role, "epoch": epoch, "holder_pid": pid, "at": round(at - start, 2)}
        for role, epoch, pid, at in watch.takeovers
    ]
    figures.lag = percentiles([
        watch.arrivals[pair] - published for published, pair in watch.schedule
        if pair in watch.arrivals
    ])
    figures.shard_down_commands = int(result.commands["shard_down"])
    figures.refused_identifies = int(result.sandbox.get("refused_identifies", 0))
    return result


def mark_interrupted(
    rows: list[dict[str, Any]], chaos: Chaos, ids: list[int], shard_count: int
) -> None:
    """Mark the commands that failed because their gateway process was killed while they
    were in flight (``INTERRUPTED``): sent to a guild of the killed cluster's shards less
    than a command time-out before the kill, or in the moment after it before the sandbox
    saw the socket close (``KILL_NOTICE_SECONDS``)."""
    for kill in chaos.kills:
        if not kill.shards:
            continue
        for row in rows:
            sent_at = float(row["sent_at"])
            in_flight = (
                kill.killed_at - COMMAND_TIMEOUT <= sent_at <= kill.killed_at + KILL_NOTICE_SECONDS
            )
            on_cluster = shard_of(ids[int(row["guild"])], shard_count) in kill.shards
            if in_flight and on_cluster and row["outcome"] not in ("ok", SHARD_DOWN):
                row["outcome"] = INTERRUPTED


def note_commands_back(
    chaos: Chaos, rows: list[dict[str, Any]], ids: list[int], shard_count: int
) -> None:
    """For each gateway kill: when a command on one of its guilds was first answered again."""
    for kill in chaos.kills:
        if not kill.shards:
            continue
        answered = [
            float(row["sent_at"]) + float(row["first_response"]) for row in rows
            if row["outcome"] == "ok" and row["first_response"] is not None
            and float(row["sent_at"]) > kill.killed_at
            and shard_of(ids[int(row["guild"])], shard_count) in kill.shards
        ]
        kill.commands_back_at = min(answered, default=None)


def record_commands(result: SoakResult, commands: dict[str, Any], start: float) -> None:
    """Fill in the command figures from the sandbox's rows (``GET /commands``).

    Commands typed while their shard had no process (``SHARD_DOWN``, never sent) and those
    in flight on a process when it was killed (``INTERRUPTED``) are counted apart; every
    other figure is over the commands sent.
    """
    every = commands["rows"]
    rows = [row for row in every if row["outcome"] not in (SHARD_DOWN, INTERRUPTED)]
    result.commands = {
        "sent": len(rows), "skipped": int(commands["skipped"]),
        "shard_down": sum(1 for row in every if row["outcome"] == SHARD_DOWN),
        "interrupted": sum(1 for row in every if row["outcome"] == INTERRUPTED),
        "rate": result.plan.command_rate,
    }
    result.outcomes = dict(Counter(str(row["outcome"]) for row in rows))
    result.first_response = percentiles(
        [float(r["first_response"]) for r in rows if r["first_response"] is not None]
    )
    result.answered = percentiles([float(r["answered"]) for r in rows if r["answered"] is not None])
    result.completed = percentiles(
        [float(r["completed"]) for r in rows if r["completed"] is not None]
    )
    for kind in sorted({str(r["kind"]) for r in rows}):
        found = percentiles(
            [float(r["first_response"]) for r in rows
             if r["kind"] == kind and r["first_response"] is not None]
        )
        result.per_kind_p99[kind] = found.get("p99", float("nan"))
    timed = [r for r in rows if r["first_response"] is not None]
    timed.sort(key=lambda r: -float(r["first_response"]))
    result.slowest = [
        {"kind": r["kind"], "guild": r["guild"], "at": round(float(r["sent_at"]) - start, 1),
         "first_response": round(float(r["first_response"]), 3)}
        for r in timed[:5]
    ]


def when_refused(sandbox: dict[str, Any]) -> str:
    """When the sandbox served its latest 429s (UTC), a count a minute and by limit; "" when
    it served none."""
    refusals = sandbox.get("rate_limit_refusals") or []
    if not refusals:
        return ""
    minutes = Counter(time.strftime("%H:%M", time.gmtime(at)) for at, _ in refusals)
    limits = Counter(limit for _, limit in refusals)
    first, last = (time.strftime("%H:%M:%S", time.gmtime(at)) for at in (refusals[0][0],
                                                                         refusals[-1][0]))
    return (
        f"429s served from {first} to {last} UTC (the latest {len(refusals)}): a minute"
        f" {json.dumps(dict(sorted(minutes.items())))}; by limit {json.dumps(dict(limits))}"
    )


def report(result: SoakResult) -> str:
    """Format the figures for the terminal."""
    plan, t = result.plan, result.tally
    assert t is not None
    fr, an, co = result.first_response, result.answered, result.completed

    def ms(figures: dict[str, float], key: str) -> str:
        return f"{figures[key] * 1000:.0f} ms" if key in figures else "-"

    if result.distributed is not None:
        return distributed_report(result, ms)
    rss = result.rss
    after = [mb for at, mb in rss if at >= result.warm_up_seconds]
    lines = [
        f"soak: {plan.guilds} guilds, {plan.subscriptions} subscriptions over {plan.feeds} feeds,"
        f" {result.seconds / 60:.1f} min of items ({plan.item_rate:g}/s) and commands"
        f" ({plan.command_rate:g}/s); poll interval {plan.poll_interval} s",
        "set-up (not measured): " + ", ".join(f"{k} {v:.1f}" for k, v in result.setup.items()),
        f"commands: {result.commands['sent']} sent, {result.commands['skipped']} skipped"
        f" (over {MAX_IN_FLIGHT_TEXT} in flight); outcomes {json.dumps(result.outcomes)}",
        f"first response (dispatch -> first callback): p50 {ms(fr, 'p50')}, p95 {ms(fr, 'p95')},"
        f" p99 {ms(fr, 'p99')}, max {ms(fr, 'max')} ({fr.get('count', 0)} timed)",
        f"answered (reply, or follow-up after a defer): p50 {ms(an, 'p50')}, p95 {ms(an, 'p95')},"
        f" p99 {ms(an, 'p99')}",
        f"run_command returned (answered + 0.3 s quiet): p50 {ms(co, 'p50')},"
        f" p95 {ms(co, 'p95')}, p99 {ms(co, 'p99')}",
        "first response p99 by command: "
        + ", ".join(f"/{k} {v * 1000:.0f} ms" for k, v in result.per_kind_p99.items()),
        f"slowest first responses: {json.dumps(result.slowest)}",
        f"posts: delivered {t.delivered}/{t.expected}; missing {t.lost}; duplicated pairs"
        f" {t.duplicated} (extra posts {t.extra_posts}); repeated nonces {t.repeated_nonces};"
        f" unexpected {t.unexpected}; drain after publishing stopped {result.drain_seconds:.1f} s",
        f"429s served: {result.sandbox.get('rate_limit_hits')}; invalid requests"
        f" {json.dumps(result.sandbox.get('statuses'))}; unknown routes"
        f" {result.sandbox.get('unknown_routes')}",
        f"farm: {json.dumps(result.farm, sort_keys=True)}",
        "bot RSS (MB) at t (s): "
        + ", ".join(f"{at:.0f}:{mb:.0f}" for at, mb in rss),
        f"bot RSS after warm-up ({result.warm_up_seconds:.0f} s): first"
        f" {after[0] if after else 0:.0f} MB, last {after[-1] if after else 0:.0f} MB, max"
        f" {max(after) if after else 0:.0f} MB; growth {result.rss_growth_percent:+.1f} %;"
        f" bot CPU {result.bot_cpu_seconds:.0f} s"
        f" ({result.bot_cpu_seconds / max(1.0, result.seconds + result.drain_seconds):.0%}"
        " of one core)",
        f"targets: p99 first response < 1 s {'met' if result.latency_ok else 'MISSED'};"
        f" every post once {'met' if result.posts_ok else 'MISSED'};"
        f" memory growth < 10 % {'met' if result.memory_ok else 'MISSED'};"
        f" commands all answered {'met' if result.commands_ok else 'MISSED'};"
        f" zero 429s {'met' if result.sandbox.get('rate_limit_hits') == 0 else 'MISSED'}",
    ]
    if refused := when_refused(result.sandbox):
        lines.insert(-1, refused)
    return "\n".join(lines)


MAX_IN_FLIGHT_TEXT = "64"


def distributed_report(result: SoakResult, ms: Callable[[dict[str, float], str], str]) -> str:
    """Format the figures of a distributed soak for the terminal."""
    plan, t, d = result.plan, result.tally, result.distributed
    assert t is not None and d is not None
    fr, an = result.first_response, result.answered
    topology = d.topology
    limits = result.sandbox.get("rate_limits") or {}
    lines = [
        f"distributed soak: {plan.guilds} guilds over {d.shard_count} shards,"
        f" {plan.subscriptions} subscriptions over {plan.feeds} feeds,"
        f" {result.seconds / 60:.1f} min of items ({plan.item_rate:g}/s) and commands"
        f" ({plan.command_rate:g}/s); poll interval {plan.poll_interval} s",
        f"processes: gateway x{topology.gateway_clusters}"
        f" (shards {', '.join(f'{a}-{b}' for a, b in topology.cluster_shards(d.shard_count))}),"
        f" poller x{topology.pollers}, reader x{topology.readers}, desk x{topology.desks},"
        f" deliverer x{topology.deliverers}; a kill -9 every {d.kill_every:g} s, replaced"
        f" {d.replace_after:g} s later",
        "set-up (not measured): " + ", ".join(f"{k} {v:.1f}" for k, v in result.setup.items()),
        f"commands: {result.commands['sent']} sent, {result.commands['skipped']} skipped"
        f" (over {MAX_IN_FLIGHT_TEXT} in flight), {result.commands['shard_down']} typed while"
        f" their shard had no process (not sent), {result.commands['interrupted']} in flight"
        f" on a killed process; outcomes of those sent {json.dumps(result.outcomes)}",
        f"first response (dispatch -> first callback): p50 {ms(fr, 'p50')}, p95 {ms(fr, 'p95')},"
        f" p99 {ms(fr, 'p99')}, max {ms(fr, 'max')} ({fr.get('count', 0)} timed)",
        f"answered (reply, or follow-up after a defer): p50 {ms(an, 'p50')}, p95 {ms(an, 'p95')},"
        f" p99 {ms(an, 'p99')}",
        "first response p99 by command: "
        + ", ".join(f"/{k} {v * 1000:.0f} ms" for k, v in result.per_kind_p99.items()),
        f"slowest first responses: {json.dumps(result.slowest)}",
        f"posts: delivered {t.delivered}/{t.expected}; missing {t.lost}; duplicated pairs"
        f" {t.duplicated} (extra posts {t.extra_posts}); repeated nonces {t.repeated_nonces};"
        f" unexpected {t.unexpected}; drain after publishing stopped {result.drain_seconds:.1f} s",
        f"publication -> post: p50 {d.lag.get('p50', 0):.1f} s, p95 {d.lag.get('p95', 0):.1f} s,"
        f" p99 {d.lag.get('p99', 0):.1f} s, max {d.lag.get('max', 0):.1f} s",
        f"429s served: {result.sandbox.get('rate_limit_hits')} (global"
        f" {limits.get('global', 0)}; per route"
        f" {json.dumps({k: v for k, v in limits.items() if k != 'global'})}); invalid requests"
        f" {json.dumps(result.sandbox.get('statuses'))}; unknown routes"
        f" {result.sandbox.get('unknown_routes')}",
        f"gateway: {len(result.sandbox.get('identifies', []))} sessions started,"
        f" {d.refused_identifies} IDENTIFYs refused as too soon for their bucket",
        f"farm: {json.dumps(result.farm, sort_keys=True)}",
        "kills (seconds after the kill):",
    ]
    for kill in d.kills:
        lines.append(
            f"  {kill['slot']} ({kill['target']}{', its leader' if kill['was_leader'] else ''}):"
            f" backlog {kill['backlog_at_kill']} posts; replaced +{kill['replaced_after']},"
            f" ready +{kill['ready_after']} ({kill['ready_means'] or 'not visible from outside'}),"
            f" caught up +{kill['caught_up_after']}"
            + (f", commands answered again +{kill['commands_back_after']}"
               if kill["shards"] else "")
            + ("" if kill["recovered"] else "  NOT RECOVERED")
        )
    if not d.kills:
        lines.append("  none")
    if d.missing:
        lines.append(f"missing (first {len(d.missing)}, published at s after the start): "
                     + json.dumps(d.missing))
    lines.append("leader takeovers (s after the start): " + ", ".join(
        f"{x['role']} epoch {x['epoch']} pid {x['holder_pid']} at {x['at']}" for x in d.takeovers
    ))
    for exit_record in d.unexpected_exits:
        lines.append(f"UNEXPECTED EXIT {exit_record['slot']} pid {exit_record['pid']} status"
                     f" {exit_record['exit_status']}:\n{exit_record['log']}")
    span = max(1.0, result.seconds + result.drain_seconds)
    lines.append("per process slot (every incarnation): " + "; ".join(
        f"{name} x{int(f['processes'])} CPU {f['cpu_seconds']:.0f} s"
        f" ({f['cpu_seconds'] / span:.0%}), RSS {f['rss_last_mb']:.0f} MB"
        f" (max {f['rss_max_mb']:.0f}, with workers {f['with_workers_rss_max_mb']:.0f})"
        for name, f in d.per_slot.items()
    ))
    if refused := when_refused(result.sandbox):
        lines.append(refused)
    lines.append(
        f"targets: p99 first response < 1 s {'met' if result.latency_ok else 'MISSED'};"
        f" every post once {'met' if result.posts_ok else 'MISSED'};"
        f" commands sent all answered {'met' if result.commands_ok else 'MISSED'};"
        f" zero 429s {'met' if result.sandbox.get('rate_limit_hits') == 0 else 'MISSED'};"
        f" every killed role replaced and caught up {'met' if result.kills_ok else 'MISSED'}"
    )
    return "\n".join(lines)


def figures(result: SoakResult) -> dict[str, Any]:
    """The figures written by ``--json``: every field and the verdict on each target."""
    return asdict(result) | {
        "behaviour_ok": result.behaviour_ok, "latency_ok": result.latency_ok,
        "memory_ok": result.memory_ok, "kills_ok": result.kills_ok,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the soak, print (and optionally save) the figures; 0 when every
    target is met (with ``--quick``: when the behaviour is right, timing and memory aside)."""
    parser = bench_parser(
        __doc__,
        quick=f"{QUICK.guilds} guilds, {QUICK.subscriptions} subscriptions over {QUICK.feeds}"
        f" feeds, {QUICK_SECONDS:g} s of items and commands",
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--guilds", type=int, default=Plan.guilds)
    parser.add_argument("--feeds", type=int, default=Plan.feeds)
    parser.add_argument("--subscriptions", type=int, default=Plan.subscriptions)
    parser.add_argument("--item-rate", type=float, default=Plan.item_rate)
    parser.add_argument("--command-rate", type=float, default=Plan.command_rate)
    parser.add_argument("--poll-interval", type=int, default=Plan.poll_interval)
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--keep", type=Path, help="keep logs and the database in this folder"
                        " (distributed: the PostgreSQL database is kept too, its address"
                        " printed)")
    parser.add_argument(
        "--distributed", action="store_true",
        help="every role in processes of its own over a fresh PostgreSQL database, with kills",
    )
    parser.add_argument("--shard-count", type=int, default=SHARD_COUNT,
                        help="distributed: the sandbox's shards")
    parser.add_argument("--hosts", type=int, default=DISTRIBUTED_HOSTS,
                        help="distributed: the farm's hosts (127.0.0.1 to 127.0.0.N), which"
                        " the pollers share out")
    parser.add_argument("--kill-every", type=float, metavar="SECONDS",
                        help=f"distributed: kill -9 a role process this often (default"
                        f" {DEFAULT_KILL_EVERY:g}; quick {QUICK_KILL_EVERY:g}; 0: never)")
    parser.add_argument("--replace-after", type=float, metavar="SECONDS",
                        help=f"distributed: start the replacement this long after a kill"
                        f" (default {DEFAULT_REPLACE_AFTER:g}; quick {QUICK_REPLACE_AFTER:g})")
    add_postgres_option(parser, "distributed: the PostgreSQL server")
    args = parser.parse_args(argv)
    if args.quick:
        plan, sample = QUICK, QUICK_SAMPLE_SECONDS
        seconds = QUICK_DISTRIBUTED_SECONDS if args.distributed else QUICK_SECONDS
    else:
        plan = replace(
            Plan(), guilds=args.guilds, feeds=args.feeds, subscriptions=args.subscriptions,
            item_rate=args.item_rate, command_rate=args.command_rate,
            poll_interval=args.poll_interval,
        )
        seconds, sample = args.minutes * 60.0, args.sample_seconds
    options: DistributedOptions | None = None
    if args.distributed:
        # Quick: every shard may identify at once (a large bot's max_concurrency), so the
        # start takes seconds rather than a 5 s turn per shard.
        plan = replace(
            plan, shard_count=args.shard_count, hosts=args.hosts,
            max_concurrency=args.shard_count if args.quick else plan.max_concurrency,
        )
        quick = args.quick
        options = DistributedOptions(
            kill_every=args.kill_every if args.kill_every is not None
            else QUICK_KILL_EVERY if quick else DEFAULT_KILL_EVERY,
            replace_after=args.replace_after if args.replace_after is not None
            else QUICK_REPLACE_AFTER if quick else DEFAULT_REPLACE_AFTER,
            postgres=args.postgres, keep_database=args.keep is not None,
        )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")

    async def run(workdir: Path) -> SoakResult:
        if options is None:
            return await run_soak(plan, seconds, sample, workdir)
        return await run_distributed_soak(plan, seconds, sample, workdir, options)

    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="newsdesk-soak-") as tmp:
            result = asyncio.run(run(Path(tmp)))
    print(report(result))
    write_figures(args.json, figures(result))
    if args.quick:
        return 0 if result.behaviour_ok else 1
    if options is not None:  # many processes: memory is reported per role, not judged
        return 0 if result.behaviour_ok and result.latency_ok else 1
    met = result.behaviour_ok and result.latency_ok and result.memory_ok
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
