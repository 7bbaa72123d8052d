"""Burst bench: the real bot delivers 1,000 queued posts over 50 channels at Discord's pace.

Usage (from the repository root)::

    python -m bench.delivery_burst [--posts 1000] [--channels 50] [--quick] [--json PATH]
                                   [--db sqlite|postgres [...]] [--postgres ADDRESS]

Set-up (not measured): the sandbox Discord runs in its own process
(``bench.support.delivery``), with Discord's limits enforced: message create 5 per 5 s per
channel (fixed windows opening with the first request), 50 requests per second globally.
The real bot (``open_newsdesk``, its own ``Deliverer`` and ``DiscordPostSender``) runs in
this process and logs in; every channel subscribes to one bench feed through
``SubscriptionRepository.subscribe``.

Measured: one ``ArticleRepository.ingest`` queues ``posts / channels`` articles, i.e. one
outbox row per (article, channel), and a reading is recorded for each article (what the
reader stage would record, so the rows turn pending together). The clock starts when the
last of those transactions has committed (all rows ready; posts that reached the sandbox
earlier are counted and reported) and the deliverer is woken. Two end points: the last
post reaching the sandbox (visible in Discord) and ``Deliverer.wait_until_delivered``
reporting every row recorded as sent. The ratio of each is printed; the target is judged
on the second, the stricter.

Prints the wall time against the theoretical minimum under the limits (ratio = minimum /
actual), the 429s the sandbox served, the invalid requests (401/403/429) it answered,
posts delivered against expected, and duplicates (per (article, channel) and per nonce).
Targets: ratio >= 0.9, zero 429s, everything delivered once.

``--db``: the bot's database, a SQLite file (default) or a fresh PostgreSQL database
(``bench.support.databases``); with both, the burst runs once on each and the figures are
printed side by side (``--json`` then holds one set per engine).

``--distributed``: the burst as a deployment delivers it, on a fresh PostgreSQL database.
The sandbox is the soak's (``bench.support.soak``: ``DISTRIBUTED_GUILDS`` guilds over two
shards, the burst's channels spread over them) and the bot is three processes of its own
(``bench.support.role_process``, what ``newsdesk run --role`` runs): the deliverer, which
sends the burst, and two gateway processes (``--shards 0-0`` and ``1-1`` of 2), which
answer a command stream (``/help``, ``/feed list``, ``/feed status``, ``/search``,
``/feed why`` from random guilds, ``--command-rate`` per second) from before the burst
until after it. Every request that counts toward Discord's global limit, in any of the
three processes, takes its turn from the one pace row in the database. The end point is
every outbox row recorded sent, read from the database by this process every 50 ms. Also
printed: the commands' first response, the 429s split into the global limit's and each
route's, and the deliverer's last pace report (turns reserved, turns given up as late).
Targets: ratio >= 0.9, zero 429s (zero global ones in particular), every post once, every
command answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser
from bench.support.databases import add_engine_options, bench_database, finish_engine_runs
from bench.support.delivery import (
    BurstMinimum,
    SandboxInfo,
    SandboxProcess,
    Tally,
    bench_settings,
    bench_storage,
    burst_minimum,
    invalid_requests,
    outbox_states,
    queue_articles,
    running_bot,
    subscribe_channels,
    tally,
)
from bench.support.distributed import Topology, shard_of, wait_for_shards
from bench.support.role_process import write_settings
from bench.support.soak import CHANNEL_OFFSETS, Child, Control, Plan, guild_ids
from bench.support.supervisor import Supervisor
from storage.wakeups import Topic, Wakeups

log = logging.getLogger(__name__)

QUICK_POSTS = 100
QUICK_CHANNELS = 25  # 4 posts a channel: the global limit binds, not the windows
TIMEOUT_FACTOR = 4.0
TIMEOUT_FLOOR = 30.0
START_TIMEOUT = 120.0
SETTLE_SECONDS = 1.5
# Distributed: soak guilds (3 text channels each) over 2 shards, one gateway process each.
DISTRIBUTED_GUILDS = 20
DISTRIBUTED_SHARDS = 2
CHANNELS_PER_GUILD = 3
COMMAND_RATE = 5.0
COMMANDS_BEFORE_SECONDS = 2.0
COMMANDS_AFTER_FACTOR = 1.3
FINISHED_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class BurstResult:
    """The figures of one burst."""

    posts: int
    channels: int
    minimum: BurstMinimum
    seconds: float
    ready_seconds: float
    last_post_seconds: float
    send_span_seconds: float
    posts_before_ready: int
    finished: bool
    rate_limit_hits: int
    invalid_requests: int
    statuses: dict[str, int]
    outbox_states: dict[str, int]
    tally: Tally
    rate_limits: dict[str, int] = field(default_factory=dict)
    commands: dict[str, Any] = field(default_factory=dict)
    deliverer_pace: str = ""
    """Distributed: the deliverer's last pace report (turns reserved, given up as late)."""

    @property
    def ratio(self) -> float:
        """Theoretical minimum over actual wall time (1.0 is perfect)."""
        return self.minimum.seconds / self.seconds if self.seconds > 0 else 0.0

    @property
    def visible_ratio(self) -> float:
        """Theoretical minimum over the time until the last post was visible."""
        return self.minimum.seconds / self.last_post_seconds if self.last_post_seconds else 0.0

    @property
    def ok(self) -> bool:
        """Whether the behavioural targets hold: all delivered once, no 429."""
        t = self.tally
        return (
            self.finished
            and t.delivered == t.expected == self.posts
            and t.duplicated == 0
            and t.repeated_nonces == 0
            and t.unexpected == 0
            and self.rate_limit_hits == 0
            and self.commands_ok
        )

    @property
    def commands_ok(self) -> bool:
        """Distributed: every command of the stream answered (true when there was none)."""
        if not self.commands:
            return True
        sent = int(self.commands["sent"])
        outcomes = self.commands["outcomes"]
        return sent > 0 and outcomes.get("ok", 0) == sent and not self.commands["skipped"]


async def run_burst(
    posts: int, channels: int, workdir: Path, *, engine: str = "sqlite",
    postgres: str = "",
) -> BurstResult:
    """Run one burst of ``posts`` over ``channels`` on ``engine`` and return its figures."""
    if posts % channels:
        raise ValueError("--posts must be a multiple of --channels (the same count per channel)")
    per_channel = posts // channels
    minimum = burst_minimum(posts, channels)
    timeout = max(TIMEOUT_FLOOR, TIMEOUT_FACTOR * minimum.seconds)
    async with SandboxProcess(channels, workdir) as sandbox:
        assert sandbox.info is not None
        channel_ids = sandbox.info.channel_ids[:channels]
        async with (
            bench_database(engine, workdir, postgres, "burst") as database_path,
            running_bot(sandbox.info, database_path) as newsdesk,
            bench_storage(database_path) as repositories,
        ):
            now = datetime.now(UTC)
            guild_id = sandbox.info.guild_id
            feed_id = await subscribe_channels(repositories, guild_id, channel_ids, now)
            # Start from a settled bot: its start-up requests (login, command sync) fall in
            # the sandbox's first global window and would otherwise share it with the burst.
            await asyncio.sleep(SETTLE_SECONDS)
            before = await sandbox.stats()
            queueing = time.monotonic()
            burst = await queue_articles(repositories, feed_id, channel_ids, per_channel, now)
            started, wall_started = time.monotonic(), time.time()
            ready_seconds = started - queueing
            newsdesk.deliverer.wake()
            finished = await newsdesk.deliverer.wait_until_delivered(burst.outbox_ids, timeout)
            seconds = time.monotonic() - started
            states = await outbox_states(repositories, burst.outbox_ids)
        after = await sandbox.stats()
        recorded = await sandbox.posts()
    burst_posts = [p for p in recorded if p["url"] is not None]
    arrivals = sorted(float(p["at"]) for p in burst_posts) or [wall_started]
    statuses = {
        code: int(after["statuses"][code]) - int(before["statuses"][code])
        for code in after["statuses"]
    }
    return BurstResult(
        posts=posts,
        channels=channels,
        minimum=minimum,
        seconds=seconds,
        ready_seconds=ready_seconds,
        last_post_seconds=arrivals[-1] - wall_started,
        send_span_seconds=arrivals[-1] - arrivals[0],
        posts_before_ready=sum(1 for at in arrivals if at < wall_started),
        finished=finished,
        rate_limit_hits=int(after["rate_limit_hits"]) - int(before["rate_limit_hits"]),
        invalid_requests=invalid_requests(after) - invalid_requests(before),
        statuses=statuses,
        outbox_states=states,
        tally=tally(burst_posts, burst.expected),
    )


async def run_distributed_burst(
    posts: int, channels: int, workdir: Path, *, postgres: str, command_rate: float
) -> BurstResult:
    """Run one burst delivered by a deliverer process while two gateway processes answer a
    command stream, all over a fresh PostgreSQL database; return its figures."""
    if posts % channels:
        raise ValueError("--posts must be a multiple of --channels (the same count per channel)")
    guilds = max(DISTRIBUTED_GUILDS, math.ceil(channels / CHANNELS_PER_GUILD))
    plan = Plan(
        guilds=guilds, feeds=guilds, subscriptions=guilds * CHANNELS_PER_GUILD,
        command_rate=command_rate, shard_count=DISTRIBUTED_SHARDS,
    )
    plan_path, sandbox_json = workdir / "plan.json", workdir / "sandbox.json"
    plan.save(plan_path)
    per_channel = posts // channels
    minimum = burst_minimum(posts, channels)
    timeout = max(TIMEOUT_FLOOR, TIMEOUT_FACTOR * minimum.seconds)
    topology = Topology(gateway_clusters=DISTRIBUTED_SHARDS, pollers=0, readers=0, desks=0,
                        deliverers=1)
    control = Control()
    sandbox: Child | None = None
    supervisor: Supervisor | None = None
    async with bench_database("postgres", workdir, postgres, "burst") as address:
        try:
            sandbox = Child(["sandbox", "--plan", str(plan_path), "--info", str(sandbox_json)],
                            workdir / "sandbox.log")
            control_url = str(
                (await sandbox.wait_for_file(sandbox_json, START_TIMEOUT))["control_url"]
            )
            info = SandboxInfo.load(sandbox_json)
            ids = guild_ids(plan)
            targets = [
                (ids[guild], ids[guild] + offset)
                for guild in range(guilds) for offset in CHANNEL_OFFSETS
            ][:channels]
            channel_ids = [channel for _, channel in targets]
            now = datetime.now(UTC)
            async with bench_storage(address) as repositories:
                for guild_id in dict.fromkeys(guild for guild, _ in targets):
                    feed_id = await subscribe_channels(
                        repositories, guild_id,
                        [channel for guild, channel in targets if guild == guild_id], now,
                    )
            settings_path = workdir / "settings.json"
            write_settings(bench_settings(info, address), settings_path)
            supervisor = Supervisor(
                topology.slots(DISTRIBUTED_SHARDS, settings_path, sandbox_json), workdir
            )
            supervisor.start_all()
            await wait_for_shards(control, control_url, DISTRIBUTED_SHARDS, supervisor)
            synced = await control.post(control_url + "/sync", {})
            if not synced["global_commands"]:
                raise RuntimeError(f"/sync scope:global did not publish the commands: {synced}")
            await asyncio.sleep(SETTLE_SECONDS)
            stream_seconds = (
                COMMANDS_BEFORE_SECONDS + COMMANDS_AFTER_FACTOR * minimum.seconds
            )
            await control.post(
                control_url + "/commands",
                {"farm_base": "http://127.0.0.1:9", "start": time.time(),
                 "rate": command_rate, "seconds": stream_seconds},
            )
            await asyncio.sleep(COMMANDS_BEFORE_SECONDS)
            async with bench_storage(address) as repositories:
                queueing = time.monotonic()
                burst = await queue_articles(repositories, feed_id, channel_ids, per_channel, now)
                started, wall_started = time.monotonic(), time.time()
                ready_seconds = started - queueing
                wakeups = Wakeups(repositories.database)
                await wakeups.hint(Topic.POSTS_READY)
                finished = False
                while time.monotonic() - started < timeout:
                    if not await repositories.outbox.count_unfinished(burst.outbox_ids):
                        finished = True
                        break
                    if supervisor.reap_exits():
                        log.warning("a role process exited during the burst; see %s", workdir)
                    await asyncio.sleep(FINISHED_POLL_SECONDS)
                seconds = time.monotonic() - started
                states = await outbox_states(repositories, burst.outbox_ids)
            for _ in range(int(60 / 0.5)):
                commands = await control.get(control_url + "/commands")
                if commands["done"]:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(SETTLE_SECONDS)  # a duplicate would arrive now, if at all
            after = await control.get(control_url + "/stats")
            recorded = await control.get(control_url + "/posts")
        finally:
            if supervisor is not None:
                supervisor.stop_all()
            if sandbox is not None:
                sandbox.stop()
            await control.close()
    deliverer_pace = last_pace_report(workdir / "deliverer-0.log")
    burst_posts = [p for p in recorded if p["url"] is not None]
    arrivals = sorted(float(p["at"]) for p in burst_posts) or [wall_started]
    # Over the whole run, the gateway processes' start-up included.
    statuses = {code: int(count) for code, count in after["statuses"].items()}
    rows = commands["rows"]
    first = sorted(float(r["first_response"]) for r in rows if r["first_response"] is not None)
    return BurstResult(
        posts=posts,
        channels=channels,
        minimum=minimum,
        seconds=seconds,
        ready_seconds=ready_seconds,
        last_post_seconds=arrivals[-1] - wall_started,
        send_span_seconds=arrivals[-1] - arrivals[0],
        posts_before_ready=sum(1 for at in arrivals if at < wall_started),
        finished=finished,
        rate_limit_hits=int(after["rate_limit_hits"]),
        invalid_requests=invalid_requests(after),
        statuses=statuses,
        outbox_states=states,
        tally=tally(burst_posts, burst.expected),
        rate_limits=dict(after["rate_limits"]),
        deliverer_pace=deliverer_pace,
        commands={
            "sent": len(rows), "skipped": int(commands["skipped"]), "rate": command_rate,
            "outcomes": dict(Counter(str(r["outcome"]) for r in rows)),
            "first_response_p50": first[len(first) // 2] if first else None,
            "first_response_p99": first[min(len(first) - 1, math.ceil(0.99 * len(first)) - 1)]
            if first else None,
            "first_response_max": first[-1] if first else None,
            "answered_by_shard": dict(Counter(
                str(shard_of(ids[int(r["guild"])], DISTRIBUTED_SHARDS)) for r in rows
                if r["outcome"] == "ok"
            )),
        },
    )


def last_pace_report(log_path: Path) -> str:
    """The last "shared pace turns=…" line a deliverer process logged (at its stop)."""
    lines = log_path.read_text().splitlines() if log_path.exists() else []
    reports = [line[line.index("shared pace"):] for line in lines if "shared pace turns=" in line]
    return reports[-1] if reports else "no pace report"


def report(result: BurstResult) -> str:
    """Format the figures for the terminal."""
    m, t = result.minimum, result.tally
    return "\n".join(
        [
            f"burst: {result.posts} posts over {result.channels} channels"
            f" ({result.posts // result.channels} per channel)",
            f"theoretical minimum: {m.seconds:.2f} s (per channel {m.per_channel_seconds:.2f} s,"
            f" global {m.global_seconds:.2f} s; global with fixed windows"
            f" {m.global_fixed_window_seconds:.2f} s)",
            f"rows queued in {result.ready_seconds:.2f} s (not timed);"
            f" posts before the clock started: {result.posts_before_ready}",
            f"last post visible in the sandbox: {result.last_post_seconds:.2f} s"
            f" -> ratio {result.visible_ratio:.3f} (first-to-last post"
            f" {result.send_span_seconds:.2f} s)",
            f"all rows recorded sent: {result.seconds:.2f} s"
            f" -> ratio (minimum / actual) {result.ratio:.3f}",
            f"429s served: {result.rate_limit_hits}",
            f"invalid requests (401/403/429): {result.invalid_requests} {result.statuses}",
            f"delivered: {t.delivered}/{t.expected}; lost {t.lost}; duplicated pairs"
            f" {t.duplicated} (extra posts {t.extra_posts}); repeated nonces"
            f" {t.repeated_nonces}; unexpected {t.unexpected}",
            f"outbox rows: {result.outbox_states}; finished in time: {result.finished}",
            *distributed_lines(result),
            f"targets (ratio >= 0.9, zero 429s, all once): ratio"
            f" {'met' if result.ratio >= 0.9 else 'MISSED'}, behaviour"
            f" {'met' if result.ok else 'MISSED'}",
        ]
    )


def distributed_lines(result: BurstResult) -> list[str]:
    """The report's lines about the command stream and the 429s by limit (distributed)."""
    c = result.commands
    if not c:
        return []

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value * 1000:.0f} ms"

    limits = result.rate_limits
    return [
        f"429s by limit (whole run): global {limits.get('global', 0)}; per route"
        f" {json.dumps({k: v for k, v in limits.items() if k != 'global'})}",
        f"commands ({c['rate']:g}/s from random guilds, before, during and after the burst):"
        f" {c['sent']} sent, {c['skipped']} skipped; outcomes {json.dumps(c['outcomes'])};"
        f" answered per shard {json.dumps(c['answered_by_shard'], sort_keys=True)}",
        f"first response: p50 {ms(c['first_response_p50'])}, p99 {ms(c['first_response_p99'])},"
        f" max {ms(c['first_response_max'])}",
        f"deliverer's {result.deliverer_pace} (late: turns given up and reserved again)",
    ]


def figures(result: BurstResult) -> dict[str, Any]:
    """The figures written by ``--json``: every field, the two ratios and the verdict."""
    return asdict(result) | {
        "ratio": result.ratio, "visible_ratio": result.visible_ratio, "ok": result.ok
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the burst, print (and optionally save) the figures; 1 unless every
    post was delivered once without a 429."""
    parser = bench_parser(
        __doc__, quick=f"{QUICK_POSTS} posts over {QUICK_CHANNELS} channels"
    )
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=50)
    add_engine_options(parser)
    parser.add_argument(
        "--distributed", action="store_true",
        help="the deliverer and two gateway processes (answering commands) over PostgreSQL",
    )
    parser.add_argument("--command-rate", type=float, default=COMMAND_RATE,
                        help="distributed: commands per second")
    args = parser.parse_args(argv)
    posts, channels = (QUICK_POSTS, QUICK_CHANNELS) if args.quick else (args.posts, args.channels)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    results: dict[str, BurstResult] = {}
    if args.distributed:
        with tempfile.TemporaryDirectory(prefix="delivery-burst-") as tmp:
            results["postgres"] = asyncio.run(
                run_distributed_burst(
                    posts, channels, Path(tmp), postgres=args.postgres,
                    command_rate=args.command_rate,
                )
            )
        print(report(results["postgres"]))
    for engine in [] if args.distributed else args.engines:
        with tempfile.TemporaryDirectory(prefix="delivery-burst-") as tmp:
            results[engine] = asyncio.run(
                run_burst(posts, channels, Path(tmp), engine=engine, postgres=args.postgres)
            )
        if len(args.engines) > 1:
            print(f"== --db {engine}")
        print(report(results[engine]))
    return finish_engine_runs(
        results, args.json, figures=figures,
        summary=lambda result: (
            f"ratio {result.ratio:.3f}, 429s {result.rate_limit_hits}, "
            f"lost {result.tally.lost}, duplicated {result.tally.duplicated}"
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
