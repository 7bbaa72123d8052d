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
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.support.arguments import bench_parser
from bench.support.databases import add_engine_options, bench_database, finish_engine_runs
from bench.support.delivery import (
    BurstMinimum,
    SandboxProcess,
    Tally,
    bench_storage,
    burst_minimum,
    invalid_requests,
    queue_articles,
    running_bot,
    subscribe_channels,
    tally,
)

QUICK_POSTS = 100
QUICK_CHANNELS = 25  # 4 posts a channel: the global limit binds, not the windows
TIMEOUT_FACTOR = 4.0
TIMEOUT_FLOOR = 30.0
SETTLE_SECONDS = 1.5


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
        )


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
            states: Counter[str] = Counter()
            for outbox_id in burst.outbox_ids:
                status = await repositories.outbox.status(outbox_id)
                states[status.state.value if status else "missing"] += 1
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
        outbox_states=dict(states),
        tally=tally(burst_posts, burst.expected),
    )


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
            f"targets (ratio >= 0.9, zero 429s, all once): ratio"
            f" {'met' if result.ratio >= 0.9 else 'MISSED'}, behaviour"
            f" {'met' if result.ok else 'MISSED'}",
        ]
    )


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
    args = parser.parse_args(argv)
    posts, channels = (QUICK_POSTS, QUICK_CHANNELS) if args.quick else (args.posts, args.channels)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    results: dict[str, BurstResult] = {}
    for engine in args.engines:
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
