"""Deliverer failover: kill -9 of the leading deliverer mid-burst; the standby finishes.

Usage (from the repository root)::

    python -m bench.deliverer_failover [--posts 1000] [--channels 50] [--kill-at 0.3]
                                       [--quick] [--json PATH] [--postgres ADDRESS]

Set-up: the sandbox Discord runs in its own process (``bench.support.delivery``); one fresh
PostgreSQL database (``bench.support.databases``); two deliverer processes, each exactly
what ``newsdesk run --role deliverer`` runs (``bench.support.role_process``: REST only,
leadership by lease, the shared pace row), pointed at the sandbox. Once one leads and the
other stands by, the burst is queued in one ingest (``posts / channels`` articles, one
outbox row per (article, channel)) and hinted (``POSTS_READY``). When the sandbox has
recorded ``--kill-at`` of the burst, the leader's process group gets SIGKILL: no clean
hand-over, its lease runs out, the standby takes over, gives back the rows the dead leader
had claimed and finishes the burst.

Reported: the takeover time (kill to the standby's new lease; kill to its first post),
per (article, channel) delivered, **lost**, **duplicated**; **order kept per channel**
(each channel's posts, in the sandbox's message order, against the outbox ids their nonces
name); 429s served; nonce replays (resends Discord answered with the first message); the
shared pace's reservation time in the surviving process. Exit status 1 unless 0 lost,
0 duplicated, every channel in order, every row sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser, write_figures
from bench.support.databases import add_postgres_option, bench_database
from bench.support.delivery import SandboxProcess, Tally, bench_settings, seed_burst, tally
from bench.support.role_process import role_command, write_settings
from bench.support.supervisor import Slot, Supervisor
from bot.pipeline.deliver.deliverer import delivery_nonce
from storage import Database, Repositories
from storage.leases import current_leases
from storage.wakeups import Topic, Wakeups

QUICK = {"posts": 60, "channels": 6, "kill_at": 0.25}
ROLE = "deliverer"
SLOTS = ("deliverer-a", "deliverer-b")
READY_LINE = "contending for leadership"
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 240.0
POLL_SECONDS = 0.05
PACE_LINE = re.compile(
    r"shared pace turns=(\d+) reserve_p50_ms=([\d.]+) reserve_p99_ms=([\d.]+)"
    r" reserve_max_ms=([\d.]+)"
)


@dataclass
class FailoverResult:
    """The figures of one failover run."""

    posts: int
    channels: int
    posts_before_kill: int = 0
    kill_after_seconds: float = 0.0
    takeover_seconds: float | None = None
    first_post_after_kill_seconds: float | None = None
    seconds: float = 0.0
    drained: bool = False
    channels_out_of_order: int = 0
    rate_limit_hits: int = 0
    invalid_requests: int = 0
    nonce_replays: int = 0
    outbox_states: dict[str, int] = field(default_factory=dict)
    message_id_mismatches: int = 0
    survivor_pace: dict[str, float] = field(default_factory=dict)
    unexpected_exits: int = 0
    tally: Tally | None = None

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled, every channel in order, every row sent."""
        t = self.tally
        return (
            t is not None
            and self.drained
            and t.lost == 0
            and t.duplicated == 0
            and t.unexpected == 0
            and self.channels_out_of_order == 0
            and self.outbox_states == {"sent": self.posts}
            and self.message_id_mismatches == 0
            and self.unexpected_exits == 0
        )


def _holder_pid(holder: str) -> int:
    """The pid in a lease holder's name (``host:pid:token``, ``bot.app.roles.leadership``)."""
    return int(holder.split(":")[1])


async def _leader(database: Database) -> tuple[int, int] | None:
    """The deliverer's live lease: (epoch, pid of its holder), if one is held."""
    for lease in await current_leases(database):
        if lease.name == ROLE and lease.seconds_left > 0:
            return lease.epoch, _holder_pid(lease.holder)
    return None


async def _wait_for_roles(supervisor: Supervisor, database: Database) -> tuple[int, int]:
    """Wait until both processes contend and one leads; return its lease (epoch, pid)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if supervisor.reap_exits():
            raise RuntimeError(f"a deliverer exited at start; see {supervisor.log_path(SLOTS[0])}")
        ready = all(
            READY_LINE in supervisor.log_path(slot).read_text(errors="replace")
            for slot in SLOTS if supervisor.log_path(slot).exists()
        ) and all(supervisor.log_path(slot).exists() for slot in SLOTS)
        leader = await _leader(database)
        if ready and leader is not None:
            return leader
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError("the deliverers did not start (and one lead) in time")


def out_of_order_channels(posts: Sequence[dict[str, Any]], prefix: str) -> int:
    """Count channels whose posts, in the sandbox's message order, do not follow their
    outbox rows' order (read from each post's nonce, ``d<prefix><outbox id>``)."""
    by_channel: dict[int, list[tuple[int, int]]] = defaultdict(list)
    nonce_start = f"d{prefix}"
    for post in posts:
        nonce = post.get("nonce")
        if isinstance(nonce, str) and nonce.startswith(nonce_start):
            by_channel[int(post["channel_id"])].append(
                (int(post["id"]), int(nonce.removeprefix(nonce_start)))
            )
    return sum(
        1 for rows in by_channel.values()
        if [row for _, row in sorted(rows)] != sorted(row for _, row in rows)
    )


def survivor_pace(log_path: Path) -> dict[str, float]:
    """The last shared-pace line a deliverer logged (it logs one when it stops)."""
    found = PACE_LINE.findall(log_path.read_text(errors="replace")) if log_path.exists() else []
    if not found:
        return {}
    turns, p50, p99, worst = found[-1]
    return {
        "turns": float(turns), "reserve_p50_ms": float(p50), "reserve_p99_ms": float(p99),
        "reserve_max_ms": float(worst),
    }


async def run_failover(
    workdir: Path, *, posts: int, channels: int, kill_at: float, postgres: str
) -> FailoverResult:
    """Start the sandbox and two deliverers, queue the burst, kill the leader, count."""
    if posts % channels:
        raise ValueError("--posts must be a multiple of --channels (the same count per channel)")
    result = FailoverResult(posts=posts, channels=channels)
    info_path = workdir / "sandbox.json"
    async with (
        SandboxProcess(channels, workdir) as sandbox,
        bench_database("postgres", workdir, postgres, "failover") as address,
    ):
        assert sandbox.info is not None
        database = await Database.open(address)
        settings_path = workdir / "settings.json"
        write_settings(bench_settings(sandbox.info, address), settings_path)
        supervisor = Supervisor(
            [Slot(slot, ROLE, tuple(role_command(ROLE, settings_path, info_path)))
             for slot in SLOTS],
            workdir,
        )
        try:
            repositories = Repositories.over(database)
            supervisor.start_all()
            epoch, leader_pid = await _wait_for_roles(supervisor, database)
            started = time.monotonic()
            burst = await seed_burst(
                repositories, sandbox.info.guild_id, sandbox.info.channel_ids[:channels],
                posts // channels,
            )
            wakeups = Wakeups(database)
            await wakeups.hint(Topic.POSTS_READY)
            while (recorded := int((await sandbox.stats())["posts"])) < kill_at * posts:
                if supervisor.reap_exits():
                    raise RuntimeError(f"a deliverer exited; see {workdir}")
                if time.monotonic() - started > DRAIN_TIMEOUT:
                    raise TimeoutError("the leader did not deliver")
                await asyncio.sleep(POLL_SECONDS)
            leader_slot = supervisor.slot_of_pid(leader_pid)
            assert leader_slot is not None, "the lease names a process of ours"
            killed_at = time.time()
            supervisor.kill(leader_slot)
            result.posts_before_kill = recorded
            result.kill_after_seconds = time.monotonic() - started
            deadline = time.monotonic() + DRAIN_TIMEOUT
            while time.monotonic() < deadline:
                leader = await _leader(database)
                if result.takeover_seconds is None and leader is not None and leader[0] > epoch:
                    result.takeover_seconds = time.time() - killed_at
                if not await repositories.outbox.count_unfinished(burst.outbox_ids):
                    result.drained = True
                    break
                await asyncio.sleep(POLL_SECONDS)
            result.seconds = time.monotonic() - started
            result.unexpected_exits = len(supervisor.reap_exits())
        finally:
            supervisor.stop_all()
        try:
            recorded_posts = await sandbox.posts()
            stats = await sandbox.stats()
            prefix = await repositories.outbox.nonce_prefix()
            states: Counter[str] = Counter()
            by_nonce = {str(p["nonce"]): int(p["id"]) for p in recorded_posts}
            for outbox_id in burst.outbox_ids:
                status = await repositories.outbox.status(outbox_id)
                states[status.state.value if status else "missing"] += 1
                nonce = delivery_nonce(prefix, outbox_id)
                if status is not None and status.message_id != by_nonce.get(nonce):
                    result.message_id_mismatches += 1
        finally:
            await database.close()
    if result.takeover_seconds is not None:
        # The standby's first post: the first after its new lease (what reached the sandbox
        # just after the kill was the dead leader's, already in flight).
        took_over = killed_at + result.takeover_seconds
        after = sorted(float(p["at"]) for p in recorded_posts if float(p["at"]) >= took_over)
        result.first_post_after_kill_seconds = after[0] - killed_at if after else None
    result.outbox_states = dict(states)
    result.channels_out_of_order = out_of_order_channels(recorded_posts, prefix)
    result.rate_limit_hits = int(stats["rate_limit_hits"])
    result.invalid_requests = sum(int(v) for v in stats["statuses"].values())
    result.nonce_replays = int(stats["nonce_replays"])
    survivor = next(slot for slot in SLOTS if slot != leader_slot)
    result.survivor_pace = survivor_pace(supervisor.log_path(survivor))
    result.tally = tally([p for p in recorded_posts if p["url"] is not None], burst.expected)
    return result


def report(result: FailoverResult) -> str:
    """Format the figures for the terminal."""
    t = result.tally
    assert t is not None
    pace = result.survivor_pace

    def seconds(value: float | None) -> str:
        return "never" if value is None else f"{value:.2f} s"

    return "\n".join(
        [
            f"deliverer failover: {result.posts} posts over {result.channels} channels, two"
            " deliverer processes (leader + standby), one sandbox process, PostgreSQL",
            f"kill -9 of the leader {result.kill_after_seconds:.2f} s into the burst, after"
            f" {result.posts_before_kill} posts",
            f"takeover: new lease {seconds(result.takeover_seconds)} after the kill; the new"
            f" leader's first post {seconds(result.first_post_after_kill_seconds)} after the"
            " kill",
            f"drained: {result.drained}; burst total {result.seconds:.1f} s",
            f"delivered: {t.delivered}/{t.expected}; LOST {t.lost}; DUPLICATED {t.duplicated}"
            f" (extra posts {t.extra_posts}); repeated nonces {t.repeated_nonces};"
            f" unexpected {t.unexpected}",
            f"channels out of order: {result.channels_out_of_order}/{result.channels}",
            f"outbox rows: {result.outbox_states}; recorded message id != sandbox post for the"
            f" nonce: {result.message_id_mismatches}",
            f"resends answered with the first message (nonce replays): {result.nonce_replays}",
            f"429s served: {result.rate_limit_hits}; invalid requests (401/403/429):"
            f" {result.invalid_requests}",
            "shared pace in the survivor: "
            + (
                f"{pace['turns']:.0f} turns, reserve p50 {pace['reserve_p50_ms']:.2f} ms,"
                f" p99 {pace['reserve_p99_ms']:.2f} ms, max {pace['reserve_max_ms']:.2f} ms"
                if pace else "no figures logged"
            ),
            f"role processes that exited by themselves: {result.unexpected_exits}",
            "targets (0 lost, 0 duplicated, order kept per channel):"
            f" {'met' if result.ok else 'MISSED'}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the failover, print (and optionally save) the figures; 1 when
    anything was lost, doubled or out of order."""
    parser = bench_parser(
        __doc__, quick=f"{QUICK['posts']} posts over {QUICK['channels']} channels"
    )
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument(
        "--kill-at", type=float, default=0.3,
        help="kill the leader once the sandbox recorded this share of the burst",
    )
    add_postgres_option(parser)
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="deliverer-failover-") as tmp:
        result = asyncio.run(
            run_failover(
                Path(tmp), posts=args.posts, channels=args.channels, kill_at=args.kill_at,
                postgres=args.postgres,
            )
        )
    print(report(result))
    write_figures(args.json, asdict(result) | {"ok": result.ok})
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
