"""A farm of synthetic RSS feeds served from 127.0.0.1 by a separate process, for benches.

Every feed ``n`` has a fixed behaviour drawn (deterministically, from the seed) from the mix:

- ``unchanged``: answers ``304 Not Modified`` when the request carries its ETag ``"n-v1"``;
- ``changed``: its current version is ``"n-v2"``, which has 1-3 items more than ``"n-v1"``
  (the oldest ones drop off), so a client holding ``"n-v1"`` gets ``200`` with a gzip body;
- ``slow``: like ``unchanged`` but answers after 1-3 s;
- ``error``: answers ``500``; ``refused``: its URL points at a port nobody listens on;
- ``hang``: answers only after ``hang_seconds`` (longer than the client's timeout).

The server runs in its own process (``FarmProcess``) so it shares neither the event loop nor
the CPU accounting of the client under test. It listens on ``ports`` ports of each of
``hosts`` loopback addresses (127.0.0.1, 127.0.0.2, …: distinct hosts to the fetcher's
per-host limit and to the pollers' host buckets), feed ``n`` on the ``n``-th of them in turn.
``GET /_farm/stats`` returns request counts and the server's CPU time (``?per_feed=1`` adds
each feed's request count); ``POST /_farm/reset`` zeroes the counts; ``POST /_farm/stop``
stops it (it also stops by itself after ``lifetime_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import multiprocessing
import random
import resource
import socket
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cached_property
from multiprocessing.connection import Connection
from xml.sax.saxutils import escape

from aiohttp import web

UNCHANGED = "unchanged"
CHANGED = "changed"
SLOW = "slow"
ERROR = "error"
REFUSED = "refused"
HANG = "hang"
FAILING_KINDS = (ERROR, REFUSED, HANG)

_WORDS = (
    "council", "budget", "vote", "river", "bridge", "school", "report", "minister", "court",
    "ruling", "market", "shares", "storm", "warning", "hospital", "staff", "strike", "election",
    "results", "museum", "opening", "transport", "plan", "energy", "prices", "harbour", "festival",
    "police", "inquiry", "university", "research", "climate", "data",
)


@dataclass(frozen=True)
class FarmConfig:
    """The feeds of a farm and their behaviour mix (same config, same farm, in any process)."""

    feeds: int = 10_000
    changed_share: float = 0.05
    slow_share: float = 0.01
    failing_share: float = 0.01
    items: int = 10
    slow_seconds: tuple[float, float] = (1.0, 3.0)
    hang_seconds: float = 20.0
    seed: int = 20_260_301
    base_epoch: float = field(default_factory=lambda: float(int(time.time()) - 3600))

    @cached_property
    def kinds(self) -> list[str]:
        """Return each feed's behaviour; every kind with a non-zero share gets at least one."""
        def count(share: float) -> int:
            return max(1, round(self.feeds * share)) if share > 0 else 0

        failing = count(self.failing_share)
        plan = [CHANGED] * count(self.changed_share) + [SLOW] * count(self.slow_share)
        plan += [(ERROR, REFUSED, HANG)[i % 3] for i in range(failing)]
        if len(plan) > self.feeds:
            raise ValueError("the shares add up to more feeds than the farm has")
        plan += [UNCHANGED] * (self.feeds - len(plan))
        random.Random(self.seed).shuffle(plan)
        return plan

    def new_items(self, n: int) -> int:
        """Return how many items version 2 of feed ``n`` adds (1-3; 0 unless changed)."""
        return 1 + n % 3 if self.kinds[n] == CHANGED else 0

    def slow_delay(self, n: int) -> float:
        """Return how long slow feed ``n`` takes to answer."""
        low, high = self.slow_seconds
        return low + (high - low) * random.Random(self.seed * 31 + n).random()

    def etag(self, n: int, version: int) -> str:
        """Return the ETag of version ``version`` of feed ``n``."""
        return f'"{n}-v{version}"'

    def current_version(self, n: int) -> int:
        """Return the version feed ``n`` serves now."""
        return 2 if self.kinds[n] == CHANGED else 1

    def item_numbers(self, n: int, version: int) -> range:
        """Return the item numbers in version ``version`` of feed ``n``, newest last."""
        extra = self.new_items(n) if version == 2 else 0
        return range(extra, self.items + extra)

    def guid(self, n: int, item: int) -> str:
        """Return the guid of item ``item`` of feed ``n``."""
        return f"urn:newsdesk-bench:{n}:{item}"

    def body(self, n: int, version: int) -> bytes:
        """Return the RSS 2.0 document of version ``version`` of feed ``n``."""
        rng = random.Random(self.seed * 7 + n)
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
            f"<title>Bench wire {n}</title><link>https://site{n}.example/</link>",
            f"<description>Synthetic feed {n} for the Newsdesk polling bench</description>",
        ]
        for item in reversed(self.item_numbers(n, version)):
            words = [rng.choice(_WORDS) for _ in range(70)]
            headline = " ".join(words[:8]).capitalize()
            text = escape(f"<p>{' '.join(words)}.</p><p>{' '.join(reversed(words))}.</p>")
            published = formatdate(self.base_epoch + item * 600, usegmt=True)
            parts.append(
                f"<item><title>{headline} ({n}.{item})</title>"
                f"<link>https://site{n}.example/news/{item}</link>"
                f'<guid isPermaLink="false">{self.guid(n, item)}</guid>'
                f"<pubDate>{published}</pubDate><description>{text}</description></item>"
            )
        parts.append("</channel></rss>\n")
        return "".join(parts).encode("utf-8")

    def body_sha256(self, n: int, version: int) -> str:
        """Return the SHA-256 hex digest of a version's (decoded) body."""
        return hashlib.sha256(self.body(n, version)).hexdigest()

    def expected_outbox_rows(self, subscribers: Sequence[int]) -> int:
        """Return the outbox rows one pass must create, given each feed's subscriber count."""
        return sum(self.new_items(n) * subscribers[n] for n in range(self.feeds))


def _build_app(config: FarmConfig, stop: asyncio.Event) -> web.Application:
    """Build the aiohttp application serving the farm."""
    counts: Counter[str] = Counter()
    per_feed: Counter[int] = Counter()
    gz_cache: dict[tuple[int, int], bytes] = {}
    kinds = config.kinds

    async def feed(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        if not 0 <= n < config.feeds:
            counts["404"] += 1
            return web.Response(status=404)
        kind = kinds[n]
        counts[f"kind:{kind}"] += 1
        per_feed[n] += 1
        if kind == ERROR:
            counts["500"] += 1
            return web.Response(status=500, text="internal error\n")
        if kind == SLOW:
            await asyncio.sleep(config.slow_delay(n))
        elif kind == HANG:
            await asyncio.sleep(config.hang_seconds)
        version = config.current_version(n)
        etag = config.etag(n, version)
        headers = {"ETag": etag, "Cache-Control": "max-age=300"}
        if request.headers.get("If-None-Match") == etag:
            counts["304"] += 1
            return web.Response(status=304, headers=headers)
        body = gz_cache.get((n, version))
        if body is None:
            body = gzip.compress(config.body(n, version), compresslevel=6)
            if len(gz_cache) < 5_000:
                gz_cache[(n, version)] = body
        counts["200"] += 1
        counts["body_bytes"] += len(body)
        headers |= {"Content-Type": "application/rss+xml; charset=utf-8",
                    "Content-Encoding": "gzip"}
        return web.Response(status=200, body=body, headers=headers)

    async def stats(request: web.Request) -> web.Response:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        answer: dict[str, object] = {
            "counts": dict(counts), "cpu_seconds": usage.ru_utime + usage.ru_stime
        }
        if request.query.get("per_feed"):
            answer["per_feed"] = {str(n): count for n, count in per_feed.items()}
        return web.json_response(answer)

    async def reset(_request: web.Request) -> web.Response:
        counts.clear()
        per_feed.clear()
        return web.Response(text="reset\n")

    async def stop_farm(_request: web.Request) -> web.Response:
        stop.set()
        return web.Response(text="stopping\n")

    app = web.Application()
    app.router.add_get("/feeds/{n:\\d+}.xml", feed)
    app.router.add_get("/_farm/stats", stats)
    app.router.add_post("/_farm/reset", reset)
    app.router.add_post("/_farm/stop", stop_farm)
    return app


def loopback_hosts(count: int) -> list[str]:
    """Return ``count`` loopback addresses: 127.0.0.1, 127.0.0.2, … (all of 127/8 is this
    machine)."""
    if not 1 <= count <= 250:
        raise ValueError("a farm has 1 to 250 hosts")
    return [f"127.0.0.{1 + index}" for index in range(count)]


async def _serve(
    config: FarmConfig, hosts: list[str], ports: int, lifetime: float, pipe: Connection
) -> None:
    """Serve the farm on ``ports`` ports of each host until stopped or ``lifetime`` passes."""
    stop = asyncio.Event()
    runner = web.AppRunner(_build_app(config, stop), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        for _ in range(ports):
            for host in hosts:
                site = web.TCPSite(runner, host, 0, backlog=1024)
                await site.start()
        pipe.send([(str(address[0]), int(address[1])) for address in runner.addresses])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=lifetime)
    finally:
        await runner.cleanup()


def _farm_main(
    config: FarmConfig, hosts: list[str], ports: int, lifetime: float, pipe: Connection
) -> None:
    """Entry point of the farm process."""
    asyncio.run(_serve(config, hosts, ports, lifetime, pipe))


def closed_port() -> int:
    """Return a loopback port that nothing listens on (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FarmProcess:
    """The farm running in a child process; use as a context manager."""

    def __init__(
        self, config: FarmConfig, *, ports: int = 1, hosts: int = 1, lifetime: float = 1800.0
    ) -> None:
        self.config = config
        self._ports = ports
        self._hosts = loopback_hosts(hosts)
        self._lifetime = lifetime
        self._process: multiprocessing.process.BaseProcess | None = None
        self.addresses: list[tuple[str, int]] = []
        self.refused_port = closed_port()

    def __enter__(self) -> FarmProcess:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_farm_main,
            args=(self.config, self._hosts, self._ports, self._lifetime, child),
            name="feed-farm", daemon=True,
        )
        self._process.start()
        if not parent.poll(60):
            self._process.kill()
            raise RuntimeError("the feed farm did not start within 60 s")
        self.addresses = [(str(host), int(port)) for host, port in parent.recv()]
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def url(self, n: int) -> str:
        """Return the address of feed ``n`` (a refused feed points at a closed port)."""
        if self.config.kinds[n] == REFUSED:
            return f"http://127.0.0.1:{self.refused_port}/feeds/{n}.xml"
        host, port = self.addresses[n % len(self.addresses)]
        return f"http://{host}:{port}/feeds/{n}.xml"

    def stats_url(self, *, per_feed: bool = False) -> str:
        """Return the address of the stats endpoint (with each feed's count if asked)."""
        host, port = self.addresses[0]
        return f"http://{host}:{port}/_farm/stats{'?per_feed=1' if per_feed else ''}"

    def reset_url(self) -> str:
        """Return the address that zeroes the counts."""
        host, port = self.addresses[0]
        return f"http://{host}:{port}/_farm/reset"


def kind_counts(config: FarmConfig) -> dict[str, int]:
    """Return how many feeds of each kind the farm has."""
    return dict(Counter(config.kinds))


def describe(config: FarmConfig) -> str:
    """Return a one-line description of the farm's mix."""
    return json.dumps(kind_counts(config), sort_keys=True)


def main() -> None:
    """Serve a farm of 100 feeds for five minutes (``python -m bench.support.feed_farm``), for
    poking at it with curl."""
    config = FarmConfig(feeds=100)
    with FarmProcess(config) as farm:
        print(f"serving {config.feeds} feeds: {farm.url(0)} ... mix {describe(config)}")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            time.sleep(1)


if __name__ == "__main__":
    main()


__all__ = [
    "FarmConfig", "FarmProcess", "closed_port", "describe", "kind_counts", "loopback_hosts", "main",
]
