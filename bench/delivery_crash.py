"""Crash test: the bot process is SIGKILLed mid-burst, again and again; nothing is lost or doubled.

Usage (from the repository root)::

    python -m bench.delivery_crash [--kills 20] [--posts 1000] [--channels 50]
                                   [--max-delay 1.5] [--seed 7] [--quick] [--json PATH]
                                   [--db sqlite|postgres [...]] [--postgres ADDRESS]

Set-up: the sandbox Discord runs in its own process (``bench.support.delivery``) and
outlives every bot. One SQLite file is seeded through the repositories (every channel
subscribes to the bench feed; one ingest queues ``posts / channels`` articles, one outbox row
per (article, channel)). Then, ``--kills`` times: the real bot starts as its own process on
that file (``python -m bench.support.delivery bot``), and once the sandbox has recorded a
new post from it (it is delivering), it is killed with SIGKILL after a random delay in
``[0, --max-delay]`` s. A last run delivers what is left and is stopped with SIGTERM once
every row is finished.

Counted at the end, per (article, channel), from the posts the sandbox recorded: delivered,
**lost** (expected but absent), **duplicated** (more than one post); also repeated nonces,
outbox rows not ``sent``, and rows whose recorded message id is not the sandbox's post for
their nonce. Targets: 0 lost, 0 duplicated.

``--db``: one SQLite file (default) or one fresh PostgreSQL database
(``bench.support.databases``) that every bot process opens; with both, the test runs once
on each and the figures are printed side by side (``--json`` then holds one set per engine).
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser
from bench.support.databases import add_engine_options, bench_database, finish_engine_runs
from bench.support.delivery import (
    BotProcess,
    SandboxProcess,
    Tally,
    seed_burst,
    tally,
)
from bot.pipeline.deliver.deliverer import delivery_nonce
from storage import Database, Repositories

QUICK = {"kills": 2, "posts": 60, "channels": 15, "max_delay": 0.2}
SENDING_TIMEOUT = 30.0
POLL_SECONDS = 0.05
DRAIN_TIMEOUT = 180.0


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: when it came, and how much of the burst was left then."""

    run: int
    seconds_after_start: float
    delay_after_sending: float
    posts_before_kill: int
    remaining: int


@dataclass
class CrashResult:
    """The figures of one crash test."""

    posts: int
    channels: int
    kills: list[Kill] = field(default_factory=list)
    seconds: float = 0.0
    drained: bool = False
    rate_limit_hits: int = 0
    invalid_requests: int = 0
    nonce_replays: int = 0
    outbox_states: dict[str, int] = field(default_factory=dict)
    message_id_mismatches: int = 0
    tally: Tally | None = None

    @property
    def kills_during_burst(self) -> int:
        """Kills that landed while posts were still to be delivered."""
        return sum(1 for kill in self.kills if kill.remaining > 0)

    @property
    def ok(self) -> bool:
        """Whether the targets hold: nothing lost, nothing doubled, every row sent."""
        t = self.tally
        return (
            t is not None
            and self.drained
            and t.lost == 0
            and t.duplicated == 0
            and t.repeated_nonces == 0
            and t.unexpected == 0
            and self.outbox_states == {"sent": self.posts}
            and self.message_id_mismatches == 0
        )


async def _wait_for_sending(
    sandbox: SandboxProcess, bot: BotProcess, before: int, log_path: Path
) -> int:
    """Wait until the sandbox records a post beyond ``before``; return the new count."""
    deadline = time.monotonic() + SENDING_TIMEOUT
    while time.monotonic() < deadline:
        posts = int((await sandbox.stats())["posts"])
        if posts > before:
            return posts
        if not bot.alive:
            raise RuntimeError(f"the bot process exited on its own; see {log_path}")
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError("the bot did not post within its start-up timeout")


async def _wait_until_finished(
    repositories: Repositories, outbox_ids: list[int], bot: BotProcess, log_path: Path
) -> bool:
    """Wait until every row is finished (sent, failed or skipped); False on timeout."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        if not await repositories.outbox.count_unfinished(outbox_ids):
            return True
        if not bot.alive:
            raise RuntimeError(f"the bot process exited on its own; see {log_path}")
        await asyncio.sleep(0.25)
    return False


async def run_crash(
    workdir: Path, *, kills: int, posts: int, channels: int, max_delay: float, seed: int,
    engine: str = "sqlite", postgres: str = "",
) -> CrashResult:
    """Seed one database, kill ``kills`` bot processes mid-burst, drain, and count."""
    if posts % channels:
        raise ValueError("--posts must be a multiple of --channels (the same count per channel)")
    rng = random.Random(seed)
    result = CrashResult(posts=posts, channels=channels)
    info_path = workdir / "sandbox.json"
    bot_log = workdir / "bot.log"
    async with (
        SandboxProcess(channels, workdir) as sandbox,
        bench_database(engine, workdir, postgres, "crash") as database_path,
    ):
        assert sandbox.info is not None
        database = await Database.open(database_path)
        try:
            repositories = Repositories.over(database)
            burst = await seed_burst(
                repositories, sandbox.info.guild_id, sandbox.info.channel_ids[:channels],
                posts // channels,
            )
            started = time.monotonic()
            for run in range(1, kills + 1):
                before = int((await sandbox.stats())["posts"])
                bot = BotProcess(info_path, database_path, bot_log)
                spawned = time.monotonic()
                try:
                    await _wait_for_sending(sandbox, bot, before, bot_log)
                    delay = rng.uniform(0.0, max_delay)
                    await asyncio.sleep(delay)
                finally:
                    bot.kill()
                stats = await sandbox.stats()
                delivered = tally(await sandbox.posts(), burst.expected).delivered
                result.kills.append(
                    Kill(run, time.monotonic() - spawned, delay, int(stats["posts"]),
                         len(burst.expected) - delivered)
                )
            bot = BotProcess(info_path, database_path, bot_log)
            try:
                result.drained = await _wait_until_finished(
                    repositories, burst.outbox_ids, bot, bot_log
                )
            finally:
                bot.stop()
            result.seconds = time.monotonic() - started
            recorded = await sandbox.posts()
            stats = await sandbox.stats()
            by_nonce = {(p["nonce"], int(p["channel_id"])): int(p["id"]) for p in recorded}
            states: Counter[str] = Counter()
            prefix = await repositories.outbox.nonce_prefix()
            for outbox_id in burst.outbox_ids:
                status = await repositories.outbox.status(outbox_id)
                states[status.state.value if status else "missing"] += 1
                if status is not None and status.message_id is not None:
                    matches = [
                        message_id for (nonce, _), message_id in by_nonce.items()
                        if nonce == delivery_nonce(prefix, outbox_id)
                    ]
                    if matches != [status.message_id]:
                        result.message_id_mismatches += 1
        finally:
            await database.close()
    result.outbox_states = dict(states)
    result.rate_limit_hits = int(stats["rate_limit_hits"])
    result.invalid_requests = sum(int(v) for v in stats["statuses"].values())
    result.nonce_replays = int(stats["nonce_replays"])
    result.tally = tally([p for p in recorded if p["url"] is not None], burst.expected)
    return result


def report(result: CrashResult) -> str:
    """Format the figures for the terminal."""
    t = result.tally
    assert t is not None
    moments = ", ".join(f"{k.seconds_after_start:.2f}" for k in result.kills)
    return "\n".join(
        [
            f"crash test: {result.posts} posts over {result.channels} channels,"
            f" {len(result.kills)} SIGKILLs, one sandbox process, one database",
            f"kills during the burst: {result.kills_during_burst}/{len(result.kills)}"
            f" (seconds after each bot start: {moments})",
            f"posts left at each kill: {[k.remaining for k in result.kills]}",
            f"drained after the last restart: {result.drained}; total {result.seconds:.1f} s",
            f"delivered: {t.delivered}/{t.expected}; LOST {t.lost}; DUPLICATED {t.duplicated}"
            f" (extra posts {t.extra_posts}); repeated nonces {t.repeated_nonces};"
            f" unexpected {t.unexpected}",
            f"outbox rows: {result.outbox_states}; recorded message id != sandbox post for the"
            f" nonce: {result.message_id_mismatches}",
            f"resends answered with the first message (nonce replays): {result.nonce_replays}",
            f"429s served (restarted bots do not know the buckets): {result.rate_limit_hits};"
            f" invalid requests (401/403/429): {result.invalid_requests}",
            f"targets (0 lost, 0 duplicated): {'met' if result.ok else 'MISSED'}",
        ]
    )


def figures(result: CrashResult) -> dict[str, Any]:
    """The figures written by ``--json``: every field, the kills during the burst, the verdict."""
    return asdict(result) | {"kills_during_burst": result.kills_during_burst, "ok": result.ok}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the crash test, print (and optionally save) the figures; 1 when
    anything was lost or doubled."""
    parser = bench_parser(
        __doc__,
        quick=f"{QUICK['kills']} kills, {QUICK['posts']} posts over {QUICK['channels']} channels",
    )
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--max-delay", type=float, default=1.5, help="seconds after sending")
    parser.add_argument("--seed", type=int, default=7)
    add_engine_options(parser)
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    results: dict[str, CrashResult] = {}
    for engine in args.engines:
        with tempfile.TemporaryDirectory(prefix="delivery-crash-") as tmp:
            results[engine] = asyncio.run(
                run_crash(
                    Path(tmp), kills=args.kills, posts=args.posts, channels=args.channels,
                    max_delay=args.max_delay, seed=args.seed, engine=engine,
                    postgres=args.postgres,
                )
            )
        if len(args.engines) > 1:
            print(f"== --db {engine}")
        print(report(results[engine]))
    return finish_engine_runs(
        results, args.json, figures=figures,
        summary=lambda result: (
            f"lost {result.tally.lost if result.tally else '?'}, duplicated "
            f"{result.tally.duplicated if result.tally else '?'}, kills during the burst "
            f"{result.kills_during_burst}/{len(result.kills)}, {result.seconds:.1f} s"
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
