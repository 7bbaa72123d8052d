"""Feed health: back-off, when admins are told, and when a feed is given up.

Rules:
- After the n-th consecutive failure the next try is 5 min × 2^(n-1) later, at most 6 h; a
  server's ``Retry-After`` is honoured when longer, at most a day.
- After ``NOTIFY_AFTER_FAILURES`` consecutive failures the servers following the feed get one
  notice (in their log channel, else the feed's channel); a single blip tells nobody.
- A feed failing for ``DISABLE_AFTER`` is disabled (no longer polled) with a notice.
- The first success after a notice or a disabling tells the servers it works again.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot.core.models import Feed, FeedFailure

NOTIFY_AFTER_FAILURES = 3
DISABLE_AFTER = timedelta(days=7)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
RETRY_AFTER_CAP = timedelta(days=1)


def failure_delay(failures: int, retry_after_seconds: float | None = None) -> timedelta:
    """Return how long to wait after the ``failures``-th consecutive failure."""
    growth: int = 2 ** min(max(failures - 1, 0), 16)  # 5 min × 2^16 is far past the cap
    delay = min(BACKOFF_BASE * growth, BACKOFF_CAP)
    if retry_after_seconds is not None and not math.isnan(retry_after_seconds):
        # Clamped as seconds first: timedelta(seconds=1e17) overflows.
        seconds = min(max(retry_after_seconds, 0.0), RETRY_AFTER_CAP.total_seconds())
        delay = max(delay, timedelta(seconds=seconds))
    return delay


def feed_name(feed: Feed) -> str:
    """Return how notices name a feed: its title and address."""
    return f"**{feed.title or feed.url}** (<{feed.url}>)"


def plan_failure(
    feed: Feed, error: str, now: datetime, retry_after_seconds: float | None
) -> FeedFailure:
    """Decide what a failed check means for the feed: retry time, notice, disabling."""
    failures = feed.error_count + 1
    failing_since = feed.failing_since or now
    disable = now - failing_since >= DISABLE_AFTER
    notice: str | None = None
    if disable:
        notice = (
            f"⛔ Newsdesk gave up on the feed {feed_name(feed)} after a week of failures and no "
            f"longer checks it. Last error: {error} Once it works again, use /feed refresh to "
            "resume it, or /feed remove to drop it."
        )
    elif failures >= NOTIFY_AFTER_FAILURES and not feed.failure_notified:
        notice = (
            f"⚠️ The feed {feed_name(feed)} failed {failures} checks in a row: {error} "
            "Newsdesk keeps retrying, less often each time, and gives up after a week."
        )
    return FeedFailure(
        error=error,
        next_check_at=now + failure_delay(failures, retry_after_seconds),
        notice=notice,
        disable=disable,
    )


def recovery_notice(feed: Feed) -> str | None:
    """Return the notice for a successful check of a feed that admins were warned about."""
    if feed.disabled_at is None and not feed.failure_notified:
        return None
    return f"✅ The feed {feed_name(feed)} works again; new articles will be posted as before."
