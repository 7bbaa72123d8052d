"""Discord-style REST rate limits: per-route buckets plus a global limit.

Rules:
- a bucket is (route template, major parameters: channel, guild, webhook id +
  token); each bucket is a fixed window that opens with its first request;
- message create is 5 per 5 s per channel, webhook execution 5 per 2 s per
  webhook, every other route 50 per 1 s per bucket;
- a global limit of 50 requests per second spans all routes, except
  interaction endpoints (callbacks and follow-ups), as on Discord;
- every answered request carries X-RateLimit-Limit/-Remaining/-Reset (epoch
  seconds)/-Reset-After/-Bucket; a 429 adds Retry-After, X-RateLimit-Scope,
  X-RateLimit-Global on global limits, and a `Via` header (discord.py treats a
  429 without `Via` as a Cloudflare ban and raises instead of waiting);
- the body of a 429 is {"message", "retry_after", "global"}.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.fake_discord.payloads import JSON

ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "POST /webhooks/{webhook_id}/{webhook_token}": (5, 2.0),
}
DEFAULT_LIMIT: tuple[int, float] = (50, 1.0)
GLOBAL_LIMIT: tuple[int, float] = (50, 1.0)


@dataclass
class _Window:
    limit: int
    length: float
    used: int = 0
    reset_at: float = 0.0

    def refresh(self, now: float) -> None:
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = now + self.length


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may proceed, and the headers and body to send."""

    allowed: bool
    headers: dict[str, str]
    body: JSON | None = None


def bucket_hash(route_key: str) -> str:
    """A stable opaque bucket id for a route template."""
    return hashlib.sha1(route_key.encode()).hexdigest()[:16]


RECENT_REFUSALS = 1000


@dataclass
class RateLimiter:
    """Tracks buckets and the global window; counts 429s served, and keeps when the latest
    ``RECENT_REFUSALS`` were served and by which limit (``refusals``), so a long run can
    tell its own stalls from the bot's pacing."""

    clock: Callable[[], float] = time.time
    global_limit: tuple[int, float] = GLOBAL_LIMIT
    hits: int = 0
    refusals: deque[tuple[float, str]] = field(
        default_factory=lambda: deque(maxlen=RECENT_REFUSALS)
    )
    """(``clock`` time, "global" or the route the bucket limits) of each recent 429."""
    _buckets: dict[str, _Window] = field(default_factory=dict)
    _global: _Window | None = None

    def check(self, route_key: str, major: str, *, exempt_global: bool) -> RateDecision:
        """Count one request against its buckets; decide and build headers."""
        now = self.clock()
        if not exempt_global:
            if self._global is None:
                self._global = _Window(*self.global_limit)
            self._global.refresh(now)
            if self._global.used >= self._global.limit:
                self.refusals.append((now, "global"))
                return self._refuse(self._global.reset_at - now, is_global=True, headers={})
            self._global.used += 1
        limit, length = ROUTE_LIMITS.get(route_key, DEFAULT_LIMIT)
        window = self._buckets.setdefault(f"{route_key}:{major}", _Window(limit, length))
        window.refresh(now)
        reset_after = max(window.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Reset": f"{window.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route_key),
        }
        if window.used >= window.limit:
            headers["X-RateLimit-Remaining"] = "0"
            self.refusals.append((now, route_key))
            return self._refuse(reset_after, is_global=False, headers=headers)
        window.used += 1
        headers["X-RateLimit-Remaining"] = str(window.limit - window.used)
        return RateDecision(True, headers)

    def _refuse(
        self, retry_after: float, *, is_global: bool, headers: dict[str, str]
    ) -> RateDecision:
        self.hits += 1
        retry_after = max(retry_after, 0.001)
        headers = dict(headers)
        headers["Retry-After"] = str(math.ceil(retry_after))
        headers["X-RateLimit-Scope"] = "global" if is_global else "user"
        headers["Via"] = "1.1 newsdesk-sandbox"
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body: JSON = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        if not is_global:
            body["code"] = 0
        return RateDecision(False, headers, body)
