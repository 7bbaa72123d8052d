"""Polling: fetch each followed feed when it is due, and turn new entries into outbox rows.

Rules:
- One fetch per feed URL per check, whatever the number of servers following it.
- Conditional GET with the stored validators; an unchanged body (same SHA-256) is not parsed.
- The next check honours the feed's interval, ``Cache-Control``/``Expires`` and RSS ``<ttl>``,
  never later than a day (each number is clamped before any arithmetic, so no value a site
  sends can overflow).
- A failure is recorded on the feed with the back-off, notice and disabling that
  ``bot.pipeline.poll.health`` decides; it never stops the poller or other feeds.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.errors import FetchError, UserError
from bot.core.models import Feed, FeedCheck
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import FeedParser
from bot.pipeline.poll.health import plan_failure, recovery_notice
from storage import Repositories

log = logging.getLogger(__name__)

MAX_DELAY = timedelta(days=1)
# As many feeds in flight as the fetcher allows at once (FetchSettings.global_limit); a
# feed that hangs for its whole timeout holds one slot, never a whole batch.
CONCURRENT_FEEDS = 20
DUE_BATCH = 20_000


@dataclass
class PollReport:
    """What one round of polling did."""

    feeds_checked: int = 0
    feeds_failed: int = 0
    outbox_ids: list[int] = field(default_factory=list)


def next_check_after_success(
    feed: Feed, now: datetime, *, max_age_seconds: float | None, ttl_minutes: int | None
) -> datetime:
    """Return when to check a feed again after a good fetch (never later than a day, whatever
    numbers the site sent)."""
    cap = MAX_DELAY.total_seconds()
    seconds = float(min(feed.interval_seconds, cap))
    if max_age_seconds is not None:
        seconds = max(seconds, min(max_age_seconds, cap))
    if ttl_minutes is not None:
        # Capped before multiplying: a ttl of 10**400 minutes is no float at all.
        seconds = max(seconds, min(ttl_minutes, cap // 60) * 60.0)
    if not math.isfinite(seconds):
        seconds = float(feed.interval_seconds)
    return now + timedelta(seconds=min(max(seconds, 0.0), cap))


@dataclass(frozen=True)
class RefreshOutcome:
    """What a check by hand found: posts queued, or the error in plain words."""

    queued: int
    error: str | None


class Poller:
    """Checks feeds and records what they bring."""

    def __init__(
        self,
        repositories: Repositories,
        fetcher: Fetcher,
        clock: Callable[[], datetime],
        feeds: FeedParser,
    ) -> None:
        self._repos = repositories
        self._fetcher = fetcher
        self._clock = clock
        self._feeds = feeds
        # Feeds being checked now: a round that overlaps a slower one leaves them to it.
        self._in_flight: set[int] = set()

    async def poll_due(self, on_queued: Callable[[list[int]], None] | None = None) -> PollReport:
        """Check every followed feed whose next check time has come (and that no other round
        is checking); ``on_queued`` hears of each feed's new posts as soon as it is checked,
        not when the round ends, so one slow feed holds back nobody's posts."""
        due = await self._repos.feeds.due(self._clock(), DUE_BATCH)
        return await self._poll(due, on_queued)

    async def poll_all(self) -> PollReport:
        """Check every followed feed now, whatever its schedule."""
        return await self._poll(await self._repos.feeds.followed())

    async def _poll(
        self, feeds: Sequence[Feed], on_queued: Callable[[list[int]], None] | None = None
    ) -> PollReport:
        """Check ``feeds`` through a fixed pool of workers, each taking the next feed as soon
        as it is free: a slow feed delays only itself."""
        report = PollReport()
        queue: asyncio.Queue[Feed] = asyncio.Queue()
        for feed in feeds:
            if feed.id not in self._in_flight:
                self._in_flight.add(feed.id)
                queue.put_nowait(feed)

        async def worker() -> None:
            while not queue.empty():
                feed = queue.get_nowait()
                try:
                    created = await self.poll_feed(feed)
                except Exception:
                    # Even recording a failure can fail (a full disk…): this feed stays due,
                    # the worker goes on with the others.
                    log.exception("feed check could not be recorded feed_id=%s", feed.id)
                    created = None
                finally:
                    self._in_flight.discard(feed.id)
                report.feeds_checked += 1
                if created is None:
                    report.feeds_failed += 1
                else:
                    report.outbox_ids.extend(created)
                    if created and on_queued is not None:
                        on_queued(created)

        try:
            await asyncio.gather(
                *(worker() for _ in range(min(CONCURRENT_FEEDS, queue.qsize())))
            )
        finally:  # cancelled: what was never started is free for the next round
            while not queue.empty():
                self._in_flight.discard(queue.get_nowait().id)
        return report

    async def refresh(self, feed: Feed) -> RefreshOutcome:
        """Check one feed now, whatever its schedule or health, and say what happened."""
        created = await self.poll_feed(feed)
        if created is not None:
            return RefreshOutcome(len(created), None)
        checked = await self._repos.feeds.get(feed.id)
        return RefreshOutcome(0, checked.last_error if checked else None)

    async def poll_feed(self, feed: Feed) -> list[int] | None:
        """Check one feed; return the outbox rows created, or None when the check failed.

        Never raises for a bad feed: the failure is recorded on the feed and logged.
        """
        try:
            return await self._check(feed)
        except UserError as error:
            await self._record_failure(feed, error)
            return None
        except Exception as error:
            log.exception("feed check crashed feed_id=%s url=%s", feed.id, feed.url)
            await self._record_failure(feed, error)
            return None

    async def _check(self, feed: Feed) -> list[int]:
        result = await self._fetcher.fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified
        )
        now = self._clock()
        if result.status == 304 or result.body_sha256 == feed.body_sha256:
            await self._repos.feeds.record_unchanged(
                feed.id, now=now, etag=result.etag, last_modified=result.last_modified,
                recovery_notice=recovery_notice(feed),
                next_check_at=next_check_after_success(
                    feed, now, max_age_seconds=result.max_age_seconds, ttl_minutes=None
                ),
            )
            return []
        parsed = await self._feeds.parse(
            result.body, url=feed.url, content_type=result.content_type
        )
        if parsed.cut_off:
            log.warning("feed document cut off feed_id=%s url=%s entries=%d",
                        feed.id, feed.url, len(parsed.entries))
        check = FeedCheck(
            title=parsed.title or feed.title,
            site_url=parsed.link,
            icon_url=parsed.icon_url,
            etag=result.etag,
            last_modified=result.last_modified,
            body_sha256=result.body_sha256,
            next_check_at=next_check_after_success(
                feed, now, max_age_seconds=result.max_age_seconds, ttl_minutes=parsed.ttl_minutes
            ),
            recovery_notice=recovery_notice(feed),
        )
        created = await self._repos.articles.ingest(
            feed.id, articles_from_entries(parsed.entries), check, now
        )
        if created:
            log.info("feed brought new posts feed_id=%s queued=%d", feed.id, len(created))
        return created

    async def _record_failure(self, feed: Feed, error: Exception) -> None:
        now = self._clock()
        message = (
            error.message if isinstance(error, UserError)
            else "Newsdesk could not read it because of an internal error (logged)."
        )
        retry_after = error.retry_after if isinstance(error, FetchError) else None
        failure = plan_failure(feed, message, now, retry_after)
        count = await self._repos.feeds.record_failure(feed.id, failure, now)
        log.warning(
            "feed check failed feed_id=%s url=%s failures=%d disabled=%s error=%s",
            feed.id, feed.url, count, failure.disable, message,
        )
