"""Polling: fetch each followed feed when it is due, and turn new entries into outbox rows.

Rules:
- One fetch per feed URL per check, whatever the number of servers following it.
- Conditional GET with the stored validators; an unchanged body (same SHA-256) is not parsed.
  A changed one is parsed told the keys of the feed's recently stored entries, whose text
  is then not cleaned again (``bot.pipeline.parse``): they are only keyed, never stored twice.
- The next check honours the feed's interval, ``Cache-Control``/``Expires`` and RSS ``<ttl>``,
  never later than a day (each number is clamped before any arithmetic, so no value a site
  sends can overflow).
- A failure is recorded on the feed with the back-off, notice and disabling that
  ``bot.pipeline.poll.health`` decides; it never stops the poller or other feeds.
- A due feed is checked only once claimed (``storage.feeds``), a batch at a time as workers
  free up: overlapping rounds and other processes never check it at the same time, and a
  poller that dies leaves its claims to run out. With host buckets (pollers ×N) only feeds
  of the buckets this poller holds are claimed (``host_buckets``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.errors import FetchError, UserError
from bot.core.models import ClaimedFeed, Feed, FeedCheck
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import FeedParser
from bot.pipeline.poll.health import plan_failure, recovery_notice
from bot.pipeline.poll.host_buckets import HostBuckets
from storage import Repositories
from storage.feeds import FeedRepository

log = logging.getLogger(__name__)

MAX_DELAY = timedelta(days=1)
# As many feeds in flight as the fetcher allows at once (FetchSettings.global_limit); a
# feed that hangs for its whole timeout holds one slot, never a whole batch.
CONCURRENT_FEEDS = 20
# Claimed feeds that may wait for their hosts' slots, in batches: past it a worker waits for
# a busy host rather than claim more. An empty claim is not retried for a moment.
TOP_UP_BATCHES = 3
TOP_UP_PAUSE_SECONDS = 1.0
# Stored entry keys a check hands the parser, per item it reads of a document: a document's
# items are among the feed's latest stored, and any older entry is merely cleaned for nothing.
KNOWN_KEYS_PER_ITEM = 2


@dataclass
class PollReport:
    """What one round of polling did."""

    feeds_checked: int = 0
    feeds_failed: int = 0
    outbox_ids: list[int] = field(default_factory=list)
    notices_queued: int = 0

    def count(self, created: list[int] | None) -> None:
        """Add one feed's check: the outbox rows it created, or None when it failed."""
        self.feeds_checked += 1
        if created is None:
            self.feeds_failed += 1
        else:
            self.outbox_ids.extend(created)


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


@dataclass(frozen=True)
class ClaimPolicy:
    """How a poller claims due feeds (``storage.feeds``)."""

    batch: int = 100
    """Feeds claimed at once, when the poller's queue of claimed feeds runs dry."""
    lease_seconds: float = 120.0
    """How long a claim holds its feed. A claimed feed is started only while at least half
    of its lease is left, so a check (fetch timeout plus parsing) ends before its claim."""


class Poller:
    """Checks feeds and records what they bring."""

    def __init__(
        self,
        repositories: Repositories,
        fetcher: Fetcher,
        clock: Callable[[], datetime],
        feeds: FeedParser,
        claims: ClaimPolicy | None = None,
    ) -> None:
        self._repos = repositories
        self._fetcher = fetcher
        self._clock = clock
        self._feeds = feeds
        self._claims = claims or ClaimPolicy()
        # Feeds being checked now in this process: ``poll_all`` (which claims nothing) and
        # the claiming rounds leave each other's feeds alone.
        self._in_flight: set[int] = set()

    async def poll_due(
        self,
        on_queued: Callable[[list[int]], None] | None = None,
        *,
        buckets: HostBuckets | None = None,
        on_notice: Callable[[], None] | None = None,
    ) -> PollReport:
        """Check every due feed this poller can claim, claiming them a batch at a time as
        its workers free up, and return once none is left to claim.

        ``on_queued`` hears of each feed's new posts as soon as it is checked, not when the
        round ends, so one slow feed holds back nobody's posts; ``on_notice`` hears of each
        notice a check queued. ``buckets`` limits the claims to the host buckets this poller
        holds (PostgreSQL, pollers ×N); without it every host's feeds are claimed.
        """
        work = _ClaimedWork(
            self._repos.feeds, self._clock, self._claims, self._in_flight, buckets,
            host_is_full=self._fetcher.host_is_full, stop=None, look_again=None, idle_seconds=0.0,
        )
        return await self._run(work, on_queued, on_notice)

    async def poll_until(
        self,
        stop: asyncio.Event,
        look_again: asyncio.Event,
        *,
        buckets: HostBuckets | None = None,
        idle_seconds: float = 30.0,
        on_queued: Callable[[list[int]], None] | None = None,
        on_notice: Callable[[], None] | None = None,
    ) -> PollReport:
        """Check due feeds as they fall due until ``stop`` is set (the poller role).

        With nothing to claim, the workers wait for ``look_again`` (feeds changed, buckets
        taken), for the next feed of this poller's buckets to fall due, or ``idle_seconds``,
        whichever comes first. Once ``stop`` is set no feed is started; the checks running
        finish, and the claims not started are given back.
        """
        work = _ClaimedWork(
            self._repos.feeds, self._clock, self._claims, self._in_flight, buckets,
            host_is_full=self._fetcher.host_is_full, stop=stop, look_again=look_again,
            idle_seconds=idle_seconds,
        )
        return await self._run(work, on_queued, on_notice)

    async def poll_all(self) -> PollReport:
        """Check every followed feed now, whatever its schedule (claiming nothing)."""
        report = PollReport()
        queue: asyncio.Queue[Feed] = asyncio.Queue()
        for feed in await self._repos.feeds.followed():
            if feed.id not in self._in_flight:
                self._in_flight.add(feed.id)
                queue.put_nowait(feed)

        async def worker() -> None:
            while not queue.empty():
                feed = queue.get_nowait()
                try:
                    created, _notice = await self._poll_one(feed)
                finally:
                    self._in_flight.discard(feed.id)
                report.count(created)

        try:
            await asyncio.gather(
                *(worker() for _ in range(min(CONCURRENT_FEEDS, queue.qsize())))
            )
        finally:  # cancelled: what was never started is free for the next round
            while not queue.empty():
                self._in_flight.discard(queue.get_nowait().id)
        return report

    async def _run(
        self,
        work: _ClaimedWork,
        on_queued: Callable[[list[int]], None] | None,
        on_notice: Callable[[], None] | None,
    ) -> PollReport:
        """Check claimed feeds with a fixed pool of workers, each taking the next claimed
        feed as soon as it is free: a slow feed delays only itself."""
        report = PollReport()

        async def worker() -> None:
            while (claim := await work.next()) is not None:
                # Cancelled mid-check: the claim stays unfinished and is given back below.
                created, notice = await self._poll_one(claim.feed)
                work.finished(claim)
                report.count(created)
                if notice:
                    report.notices_queued += 1
                    if on_notice is not None:
                        on_notice()
                if created and on_queued is not None:
                    on_queued(created)

        try:
            await asyncio.gather(*(worker() for _ in range(CONCURRENT_FEEDS)))
        finally:  # stopped or cancelled: claims not checked are due again at once
            await work.give_back()
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
        created, _notice = await self._check_and_record(feed)
        return created

    async def _poll_one(self, feed: Feed) -> tuple[list[int] | None, bool]:
        """``_check_and_record`` for a round: even a failure that cannot be recorded (a full
        disk…) is logged, the feed stays due, and the round goes on with the others."""
        try:
            return await self._check_and_record(feed)
        except Exception:
            log.exception("feed check could not be recorded feed_id=%s", feed.id)
            return None, False

    async def _check_and_record(self, feed: Feed) -> tuple[list[int] | None, bool]:
        """Check one feed; return the outbox rows created (None when the check failed) and
        whether a notice was queued."""
        try:
            return await self._check(feed), recovery_notice(feed) is not None
        except UserError as error:
            return None, await self._record_failure(feed, error)
        except Exception as error:
            log.exception("feed check crashed feed_id=%s url=%s", feed.id, feed.url)
            return None, await self._record_failure(feed, error)

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
        # Entries stored by earlier checks are only keyed, not dated or cleaned again.
        known_keys = await self._repos.articles.recent_entry_keys(
            feed.id, KNOWN_KEYS_PER_ITEM * self._feeds.max_items
        )
        parsed = await self._feeds.parse(
            result.body, url=feed.url, content_type=result.content_type, known_keys=known_keys
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

    async def _record_failure(self, feed: Feed, error: Exception) -> bool:
        """Record a failed check; return whether it queued a notice."""
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
        return failure.notice is not None


class _ClaimedWork:
    """The claimed feeds of one polling run, handed to its workers one at a time; it claims
    the next batch when the last one runs dry.

    A worker is handed the oldest claimed feed whose host has a free slot in the fetcher.
    When every waiting feed's host is busy (feeds hanging until their timeout hold its slots)
    another batch is claimed, up to ``TOP_UP_BATCHES`` waiting, and only then the oldest is
    handed out to wait for its host: a busy host keeps no worker from the other hosts' feeds.
    """

    def __init__(
        self,
        feeds: FeedRepository,
        clock: Callable[[], datetime],
        policy: ClaimPolicy,
        in_flight: set[int],
        buckets: HostBuckets | None,
        *,
        host_is_full: Callable[[str], bool],
        stop: asyncio.Event | None,
        look_again: asyncio.Event | None,
        idle_seconds: float,
    ) -> None:
        self._feeds = feeds
        self._clock = clock
        self._policy = policy
        self._in_flight = in_flight
        self._buckets = buckets
        self._host_is_full = host_is_full
        self._stop = stop
        self._look_again = look_again
        self._idle_seconds = idle_seconds
        # Claimed feeds not started yet, each with the loop time it must start by.
        self._waiting: deque[tuple[ClaimedFeed, float]] = deque()
        self._unfinished: dict[int, ClaimedFeed] = {}
        self._claiming = asyncio.Lock()
        self._exhausted = False
        self._no_top_up_until = 0.0

    def _stopped(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def next(self) -> ClaimedFeed | None:
        """Return the next claimed feed to check; None once there is none left to claim
        (``poll_due``) or the run is stopping (``poll_until``)."""
        loop = asyncio.get_running_loop()
        while not self._stopped():
            if self._waiting:
                taken = self._take_free_host()
                if taken is None:
                    if await self._top_up() or not self._waiting:
                        continue  # more feeds (perhaps of free hosts), or others took them
                    taken = self._waiting.popleft()
                claim, start_by = taken
                if loop.time() <= start_by:
                    return claim
                # Half its lease is gone: it might outlive its claim, so give it back.
                await self._give_back([claim])
                continue
            if self._exhausted:
                return None
            async with self._claiming:
                if self._waiting or self._exhausted or self._stopped():
                    continue
                if await self._claim():
                    continue
                if self._stop is None:
                    self._exhausted = True
                else:
                    await self._wait_for_work()
        return None

    def _take_free_host(self) -> tuple[ClaimedFeed, float] | None:
        """Remove and return the oldest waiting claim whose host has a free slot, if any."""
        for index, (claim, start_by) in enumerate(self._waiting):
            if not self._host_is_full(claim.feed.url):
                del self._waiting[index]
                return claim, start_by
        return None

    async def _top_up(self) -> bool:
        """Every waiting feed's host is busy: claim another batch while fewer than
        ``TOP_UP_BATCHES`` batches wait; return whether any feed was claimed."""
        loop = asyncio.get_running_loop()

        def enough() -> bool:
            return (
                self._exhausted or self._stopped() or loop.time() < self._no_top_up_until
                or len(self._waiting) >= TOP_UP_BATCHES * self._policy.batch
            )

        if enough():
            return False
        async with self._claiming:
            if enough():
                return False
            claimed = await self._claim()
            if not claimed:  # nothing more due: do not ask again at every feed
                self._no_top_up_until = loop.time() + TOP_UP_PAUSE_SECONDS
            return claimed > 0

    def finished(self, claim: ClaimedFeed) -> None:
        """Note that ``claim``'s check was recorded (which cleared the claim)."""
        self._forget(claim)

    async def give_back(self) -> None:
        """Release every claim not checked (never started, or cancelled mid-check)."""
        self._waiting.clear()
        await self._give_back(list(self._unfinished.values()))

    async def _give_back(self, claims: list[ClaimedFeed]) -> None:
        for claim in claims:
            self._forget(claim)
        try:
            await self._feeds.release_claims(claims)
        except Exception:
            log.exception("claims not given back (they run out by themselves) feeds=%d",
                          len(claims))

    def _forget(self, claim: ClaimedFeed) -> None:
        if self._unfinished.pop(claim.feed.id, None) is None:
            return
        self._in_flight.discard(claim.feed.id)
        if self._buckets is not None:
            self._buckets.finished(claim.host_bucket)

    async def _claim(self) -> int:
        """Claim the next batch; return how many feeds it queued for the workers."""
        buckets = None if self._buckets is None else self._buckets.claimable()
        try:
            claims = await self._feeds.claim_due(
                self._clock(), self._policy.batch, self._policy.lease_seconds, buckets
            )
        except Exception:
            if self._stop is None:
                raise  # a round (role all): the scheduler logs it and tries again
            log.exception("claiming due feeds failed; trying again")
            return 0
        start_by = asyncio.get_running_loop().time() + self._policy.lease_seconds / 2
        busy: list[ClaimedFeed] = []
        queued = len(self._waiting)
        for claim in claims:
            if claim.feed.id in self._in_flight:  # ``poll_all`` is checking it here
                busy.append(claim)
                continue
            self._in_flight.add(claim.feed.id)
            self._unfinished[claim.feed.id] = claim
            if self._buckets is not None:
                self._buckets.checking(claim.host_bucket)
            self._waiting.append((claim, start_by))
        if busy:
            await self._feeds.release_claims(busy)
        return len(self._waiting) - queued

    async def _wait_for_work(self) -> None:
        """Wait until told to look again, the next feed of these buckets falls due, the
        idle time passes, or the run stops."""
        assert self._stop is not None and self._look_again is not None
        timeout = self._idle_seconds
        now = self._clock()
        buckets = None if self._buckets is None else self._buckets.claimable()
        try:
            next_due = await self._feeds.next_due_after(now, buckets)
        except Exception:
            log.exception("could not read when the next feed is due")
            next_due = None
        if next_due is not None:
            timeout = min(timeout, max((next_due - now).total_seconds(), 0.0) + 0.05)
        waits = [
            asyncio.ensure_future(self._stop.wait()),
            asyncio.ensure_future(self._look_again.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
        self._look_again.clear()
