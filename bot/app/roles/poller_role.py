"""The poller role (×N over PostgreSQL): claim due feeds of this poller's host buckets, fetch
and parse them, store new articles and their outbox rows.

Rules:
- No Discord client: the fetcher, the worker pool that parses feeds (started before the
  first claim, importing only the feed parser), and the ``Poller``.
- Host buckets (``bot.pipeline.poll.host_buckets``) keep one host's feeds in one process;
  every poller takes its fair share, and a stopped or dead poller's buckets go to the others.
- Wake-up hints: ``ARTICLES_QUEUED`` (readers have work) after checks that stored articles,
  and ``POSTS_READY`` (the deliverer has work) after checks that queued notices, each sent
  at most once per ``HINT_WINDOW`` whatever the number of feeds in it: one ``NOTIFY`` per
  batch of work, never one per feed. The outbox rows a poller writes wait for their reading
  and the story desk, so they alone wake no deliverer. ``FEEDS_CHANGED`` makes the poller
  look for due feeds at once; ``POLLERS_CHANGED`` makes it rebalance its buckets.
- On stop (``context.stop``): no feed is started any more, the checks running finish within
  ``STOP_GRACE_SECONDS`` (then they are cancelled and their claims given back), claims not
  started are given back, and the buckets are freed for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from bot.app.polling import feed_pool_for, fetch_settings_for, poller_for
from bot.app.roles import RoleContext, process_name, sleep_unless_stopped
from bot.app.roles.hints import HintSender
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.parse import FeedParser
from bot.pipeline.poll.host_buckets import HostBuckets
from storage.wakeups import Topic

log = logging.getLogger(__name__)

HINT_WINDOW = 0.25
"""Seconds over which the checks that stored articles (or queued notices) share one hint."""
STOP_GRACE_SECONDS = 30.0
"""How long the checks running at a stop may take to finish before they are cancelled."""
RESTART_SECONDS = 5.0
"""How long polling waits before starting again after it crashed (a bug, logged)."""


def utc_now() -> datetime:
    """Return the current moment (the poller's clock for due times; leases use the
    database's)."""
    return datetime.now(UTC)


async def serve(context: RoleContext) -> None:
    """Poll this poller's share of the due feeds until ``context.stop`` is set."""
    settings = context.settings
    wakeups = context.wakeups
    fetch_settings = fetch_settings_for(settings)
    session = Fetcher.create_session(fetch_settings)
    parsing_pool = feed_pool_for(settings)
    look_again = asyncio.Event()
    hints = HintSender(wakeups, window_seconds=HINT_WINDOW)

    async def pollers_changed() -> None:
        await wakeups.hint(Topic.POLLERS_CHANGED)

    buckets = HostBuckets(
        context.repositories.poll_buckets, process_name(), settings.poll_bucket_lease_seconds,
        changed=pollers_changed, took=look_again.set,
    )
    poller = poller_for(
        settings, context.repositories, Fetcher(session, fetch_settings), utc_now,
        FeedParser(parsing_pool, settings.max_feed_items),
    )
    wakeups.listen(Topic.FEEDS_CHANGED, look_again.set)
    wakeups.listen(Topic.POLLERS_CHANGED, buckets.wake)
    keeper: asyncio.Task[None] | None = None
    polling: asyncio.Task[object] | None = None
    try:
        await wakeups.start()
        await parsing_pool.warm_up()  # the first changed feeds wait for no imports
        await buckets.rebalance()  # this poller's first share before its first claim
        keeper = asyncio.create_task(buckets.run(context.stop), name="newsdesk-host-buckets")

        async def keep_polling() -> None:
            while not context.stop.is_set():
                try:
                    await poller.poll_until(
                        context.stop, look_again, buckets=buckets,
                        idle_seconds=settings.scheduler_tick_seconds,
                        on_queued=lambda _outbox_ids: hints.hint(Topic.ARTICLES_QUEUED),
                        on_notice=lambda: hints.hint(Topic.POSTS_READY),
                    )
                except Exception:  # a bug: its claims were given back; poll again shortly
                    log.exception("polling crashed; starting again")
                    await sleep_unless_stopped(context.stop, RESTART_SECONDS)

        polling = asyncio.create_task(keep_polling(), name="newsdesk-poller")
        log.info("poller started holder=%s buckets=%d", buckets.holder, len(buckets.held))
        await context.stop.wait()
        log.info("poller stopping holder=%s", buckets.holder)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(polling), STOP_GRACE_SECONDS)
    finally:
        for task in (polling, keeper):
            if task is not None:
                await _finish(task)
        await hints.flush()
        try:
            await buckets.leave()
        except Exception:
            log.exception("host buckets not freed (their leases run out by themselves)")
        await parsing_pool.close()
        await session.close()


async def _finish(task: asyncio.Task[object] | asyncio.Task[None]) -> None:
    """Cancel ``task`` if it still runs and wait for it; a crash it ended with is logged."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("%s ended with an error", task.get_name())
