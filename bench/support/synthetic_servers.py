"""Synthetic servers for the follow and search benches: ids, filler words, subscriptions.

Both ``bench.follow_matching`` and ``bench.search_latency`` build the same kind of world:
servers (guilds) with ids from ``GUILD_BASE``, each subscribed to 5-40 feeds drawn with
Zipf-like popularity, so that a few feeds are in most servers and most feeds in a handful.
Everything here is deterministic given the random generator passed in.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path

GUILD_BASE = 700_000_000_000_000_000
CHANNEL_BASE = 710_000_000_000_000_000
USER_ID = 730_000_000_000_000_001

SubscriptionRow = tuple[int, int, int, int, int]


def words(text: str) -> list[str]:
    """Split a literal list of words."""
    return text.split()


FILLER = words(
    "the a of to in and on for with at by from as that this it was were is are be been "
    "said says would could will also after before over under while during more most "
    "officials ministers government report reports week month year today yesterday new "
    "plan plans talks meeting deal agreement statement spokesperson according people "
    "country countries region regional local national public private sector market markets "
    "price prices growth economy economic policy policies security military forces aid "
    "support pressure decision decisions vote votes law laws court police city cities "
    "capital area areas north south east west since until amid despite against between "
    "first last second third many several some few other others further number percent "
    "million billion data analysts experts critics residents workers companies company "
    "share shares demand supply exports imports production investment funding project"
)


def zipf_weights(count: int, exponent: float = 1.0) -> list[float]:
    """Return Zipf-like weights for ``count`` ranked items."""
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


def build_subscriptions(
    rng: random.Random, feeds: int, servers: int, *, first_feed_id: int = 1
) -> list[SubscriptionRow]:
    """Return subscription rows (id, guild_id, channel_id, feed_id, enabled): each server on
    5-40 feeds drawn with Zipf-like popularity (one in fifty in a second channel too, one in
    twenty disabled)."""
    feed_ids = list(range(first_feed_id, first_feed_id + feeds))
    weights = zipf_weights(feeds, 0.9)
    rows: list[SubscriptionRow] = []
    next_id = 1
    for server in range(servers):
        guild = GUILD_BASE + server
        wanted = rng.randint(5, 40)
        chosen: set[int] = set()
        while len(chosen) < wanted:
            chosen.update(rng.choices(feed_ids, weights=weights, k=wanted - len(chosen)))
        channels = [CHANNEL_BASE + server * 100 + offset for offset in range(4)]
        for feed_id in sorted(chosen):
            enabled = 0 if rng.random() < 0.05 else 1
            rows.append((next_id, guild, rng.choice(channels), feed_id, enabled))
            next_id += 1
            if rng.random() < 0.02:
                rows.append((next_id, guild, CHANNEL_BASE + server * 100 + 50, feed_id, 1))
                next_id += 1
    return rows


def file_size(path: Path) -> int:
    """Return the size of a SQLite database file and its WAL."""
    return sum(
        Path(f"{path}{suffix}").stat().st_size
        for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists()
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]
