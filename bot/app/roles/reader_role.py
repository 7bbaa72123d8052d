"""The reader role (×M over PostgreSQL): claim unread articles, fetch and read their pages,
store the readings for the story desk.

Rules:
- No Discord client: the fetcher, the worker pool that reads pages, and the
  ``ArticleReader`` with a lease (``NEWSDESK_READING_LEASE``): no two readers read one
  article at once, and the articles of a reader killed in the middle go to another once
  its lease has passed (attempts and poison rules as in ``bot.pipeline.read.attempts``).
- Woken by ``ARTICLES_QUEUED`` (a poller stored articles), and by itself every few seconds.
- Hints ``ARTICLES_READ`` once per batch that stored readings (the desk has work), and
  ``POSTS_READY`` when it gave an article up (its channels' later posts may go).
- On stop (``context.stop``): reading stops at once; attempts it cut short are given back
  and claims not begun are released, so other readers take them without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.app.polling import fetch_settings_for
from bot.app.roles import RoleContext, process_name
from bot.app.roles.hints import HintSender
from bot.app.services import reading_pool_for, utc_now
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.read.reader import ArticleReader, ReadingLease
from bot.pipeline.timings import PipelineTimings
from storage.wakeups import Topic

log = logging.getLogger(__name__)


async def serve(context: RoleContext, timings: PipelineTimings | None = None) -> None:
    """Read unread articles until ``context.stop`` is set."""
    settings = context.settings
    fetch_settings = fetch_settings_for(settings)
    session = Fetcher.create_session(fetch_settings)
    reading_pool = reading_pool_for(settings)
    hints = HintSender(context.wakeups)
    lease = ReadingLease(process_name(), settings.reading_lease_seconds)
    reader = ArticleReader(
        context.repositories, Fetcher(session, fetch_settings), utc_now, pool=reading_pool,
        timings=timings or PipelineTimings(), lease=lease,
        on_read=lambda: hints.hint(Topic.ARTICLES_READ),
        on_ready_to_post=lambda: hints.hint(Topic.POSTS_READY),
    )
    context.wakeups.listen(Topic.ARTICLES_QUEUED, reader.wake)
    reading: asyncio.Task[None] | None = None
    try:
        await context.wakeups.start()
        reading = asyncio.create_task(reader.run_forever(), name="newsdesk-reader")
        log.info("reader started holder=%s lease=%gs", lease.holder, lease.seconds)
        await context.stop.wait()
        log.info("reader stopping holder=%s", lease.holder)
    finally:
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
        try:
            given_back = await reader.give_back_unfinished()
            log.info("reader stopped holder=%s attempts_given_back=%d", lease.holder, given_back)
        except Exception:
            log.exception("claims not given back (their lease runs out by itself)")
        await hints.flush()
        await reading_pool.close()
        await session.close()
