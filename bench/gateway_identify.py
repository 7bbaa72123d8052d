"""Gateway start-up: how long a bot's shards take to IDENTIFY, by max_concurrency.

Usage (from the repository root)::

    python -m bench.gateway_identify [--shards 8] [--processes 2] [--concurrency 1 2]
                                     [--guilds 80] [--quick] [--json PATH] [--postgres ADDRESS]

For each ``--concurrency`` (Discord's ``max_concurrency``): a sandbox Discord in this process
with ``--guilds`` servers, recommending ``--shards`` shards and starting at most one session
per rate-limit key (``shard_id % max_concurrency``) every 5 s, as Discord does (faster ones
are answered INVALID_SESSION); a fresh PostgreSQL database; ``--processes`` gateway
processes, each exactly what ``newsdesk run --role gateway --shards … --shard-count …`` runs
(``bench.support.role_process``), splitting the shards in ranges. They take their turns from
the shared identify table (``storage.identify_turns``).

Reported per run: the span from the first accepted IDENTIFY to the last (the sandbox's
clock), the time from starting the processes until every shard was connected, the smallest
gap between two IDENTIFYs of one rate-limit key (Discord's rule: at least 5 s), and the
IDENTIFYs refused (none when the processes kept Discord's rule between them). The span is
about ``(shards / max_concurrency - 1) × 5.5 s`` (Newsdesk spaces a bucket's turns 5.5 s
apart: Discord's 5 s and a margin).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.support.arguments import bench_parser, write_figures
from bench.support.databases import add_postgres_option, bench_database
from bench.support.delivery import SandboxInfo
from bench.support.role_process import role_command, write_settings
from bench.support.supervisor import Slot, Supervisor
from bot.app.settings import Settings
from bot.sandbox.fake_discord import Sandbox, SandboxWorld, ShardingOptions

QUICK = {"shards": 2, "processes": 2, "concurrency": [1], "guilds": 10}
START_TIMEOUT = 300.0


@dataclass
class IdentifyRun:
    """The figures of one start-up."""

    shards: int
    processes: int
    max_concurrency: int
    identify_span_seconds: float = 0.0
    all_connected_seconds: float = 0.0
    smallest_bucket_gap_seconds: float | None = None
    refused_identifies: int = 0
    identifies: int = 0


def shard_ranges(shards: int, processes: int) -> list[str]:
    """Split shards 0…shards-1 into ``processes`` contiguous ranges, like ``0-3``."""
    if not 1 <= processes <= shards:
        raise ValueError("--processes must be between 1 and --shards")
    ranges, start = [], 0
    for index in range(processes):
        size = shards // processes + (1 if index < shards % processes else 0)
        ranges.append(f"{start}-{start + size - 1}")
        start += size
    return ranges


async def start_up(
    workdir: Path, *, shards: int, processes: int, max_concurrency: int, guilds: int,
    postgres: str,
) -> IdentifyRun:
    """Start the gateway processes against a fresh sandbox and database; time the identifies."""
    run = IdentifyRun(shards, processes, max_concurrency)
    world = SandboxWorld.default()
    for number in range(1, guilds):
        world.add_guild(f"Identify {number:03d}")
    sharding = ShardingOptions(recommended_shards=shards, max_concurrency=max_concurrency)
    async with (
        Sandbox(world=world, sharding=sharding) as sandbox,
        bench_database("postgres", workdir, postgres, "identify") as address,
    ):
        assert isinstance(address, str)
        settings_path, info_path = workdir / "settings.json", workdir / "sandbox.json"
        write_settings(
            Settings(discord_token=sandbox.bot_token, database_url=address, read_workers=1),
            settings_path,
        )
        info = SandboxInfo(
            api_base=sandbox.api_base, gateway_url=sandbox.gateway_url, control_url="",
            token=sandbox.bot_token, guild_id=world.guild_id, channel_ids=[],
        )
        info_path.write_text(json.dumps(dataclasses.asdict(info)))
        slots = [
            Slot(
                f"gateway-{index}", "gateway",
                tuple(role_command("gateway", settings_path, info_path, shards=ranged,
                                   shard_count=shards)),
            )
            for index, ranged in enumerate(shard_ranges(shards, processes))
        ]
        supervisor = Supervisor(slots, workdir)
        started = time.monotonic()
        try:
            supervisor.start_all()
            async with asyncio.timeout(START_TIMEOUT):
                while len(sandbox.state.gateway.connected_shards()) < shards:
                    if supervisor.reap_exits():
                        raise RuntimeError(f"a gateway process exited; see {workdir}")
                    await asyncio.sleep(0.05)
            run.all_connected_seconds = time.monotonic() - started
        finally:
            # In a thread: the sandbox in this event loop answers the processes' closing.
            await asyncio.to_thread(supervisor.stop_all)
        gateway = sandbox.state.gateway
        moments = [record.at for record in gateway.identifies]
        run.identifies = len(moments)
        run.identify_span_seconds = max(moments) - min(moments)
        run.refused_identifies = gateway.refused_identifies
        by_bucket: dict[int, list[float]] = defaultdict(list)
        for record in gateway.identifies:
            by_bucket[record.shard[0] % max_concurrency].append(record.at)
        gaps = [
            later - earlier
            for times in by_bucket.values()
            for earlier, later in itertools.pairwise(sorted(times))
        ]
        run.smallest_bucket_gap_seconds = min(gaps) if gaps else None
    return run


def report(runs: list[IdentifyRun]) -> str:
    """Format the figures for the terminal."""
    lines = [
        f"gateway start-up: {runs[0].shards} shards in {runs[0].processes} gateway processes,"
        " identify turns from PostgreSQL, sandbox Discord enforcing 5 s per rate-limit key",
        "max_concurrency | identify span | all shards connected | smallest gap in a bucket"
        " | refused",
    ]
    for run in runs:
        gap = (
            "-" if run.smallest_bucket_gap_seconds is None
            else f"{run.smallest_bucket_gap_seconds:.2f} s"
        )
        lines.append(
            f"{run.max_concurrency:>15} | {run.identify_span_seconds:>11.1f} s |"
            f" {run.all_connected_seconds:>18.1f} s | {gap:>24} | {run.refused_identifies}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run one start-up per max_concurrency, print (and optionally save) the
    figures; 1 when an IDENTIFY was refused or every shard did not identify once."""
    parser = bench_parser(__doc__, quick="2 shards in 2 processes, max_concurrency 1")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--guilds", type=int, default=80)
    add_postgres_option(parser)
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    runs = []
    for concurrency in args.concurrency:
        with tempfile.TemporaryDirectory(prefix="gateway-identify-") as tmp:
            runs.append(
                asyncio.run(
                    start_up(
                        Path(tmp), shards=args.shards, processes=args.processes,
                        max_concurrency=concurrency, guilds=args.guilds,
                        postgres=args.postgres,
                    )
                )
            )
    print(report(runs))
    write_figures(args.json, {"runs": [asdict(run) for run in runs]})
    ok = all(run.refused_identifies == 0 and run.identifies == run.shards for run in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
