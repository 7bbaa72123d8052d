"""The story desk role (one leader and any number of standbys over PostgreSQL): decide the
stories of the articles readers read, route their posts, and send the digests.

Rules:
- No Discord client, no fetcher, no worker pool: the desk works on what readers stored.
- Every desk process contends for leadership (``bot.app.roles.leadership``). Only the leader
  works: it loads the copy index as it becomes leader, then decides the stored readings one
  at a time in arrival order (``StoryDesk``) and, every ``NEWSDESK_SCHEDULER_TICK``, queues
  the digests that are due. A standby takes over within about one lease of the leader's
  death and starts from what the database holds.
- Every write of the leader is fenced by its lease (``check_fence``): a stale leader's
  decision or digest is refused, so no article is decided twice and no digest sent twice.
- Woken by ``ARTICLES_READ`` (a reader stored readings), and by itself every few seconds;
  hints ``POSTS_READY`` once per batch decided and after queueing digests.
"""

from __future__ import annotations

import asyncio
import logging

from bot.app.roles import RoleContext
from bot.app.roles.hints import HintSender
from bot.app.roles.leadership import Leadership
from bot.app.services import utc_now
from bot.core.errors import LeadershipLost
from bot.features.digests import DigestService
from bot.pipeline.story.desk import StoryDesk
from bot.pipeline.timings import PipelineTimings
from storage.leases import Fence
from storage.wakeups import Topic

log = logging.getLogger(__name__)

ROLE = "desk"


async def serve(
    context: RoleContext, timings: PipelineTimings | None = None,
    leadership: Leadership | None = None,
) -> None:
    """Stand by, and lead the story desk whenever this process is its leader, until
    ``context.stop`` is set."""
    hints = HintSender(context.wakeups)
    desk = StoryDesk(
        context.repositories, utc_now, timings=timings or PipelineTimings(),
        on_ready_to_post=lambda: hints.hint(Topic.POSTS_READY),
    )
    digests = DigestService(context.repositories, utc_now)
    tick_seconds = context.settings.scheduler_tick_seconds

    async def send_digests(fence: Fence) -> None:
        while True:
            try:
                if await digests.run_due(fence):
                    hints.hint(Topic.POSTS_READY)
            except (asyncio.CancelledError, LeadershipLost):
                raise
            except Exception:
                log.exception("digest round crashed; the next tick retries")
            await asyncio.sleep(tick_seconds)

    async def lead(fence: Fence) -> None:
        # A refused write (another desk leads now) ends this term; the contest goes on.
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(desk.run_forever(fence), name="newsdesk-desk")
                group.create_task(send_digests(fence), name="newsdesk-digests")
        except* LeadershipLost:
            log.warning("story desk lost its lease epoch=%d; standing by", fence.epoch)

    context.wakeups.listen(Topic.ARTICLES_READ, desk.wake)
    leadership = leadership or Leadership(context.database, ROLE)
    try:
        await context.wakeups.start()
        log.info("story desk standing by holder=%s", leadership.holder)
        await leadership.lead(lead, context.stop)
    finally:
        await hints.flush()
        log.info("story desk stopped holder=%s decided=%d", leadership.holder, desk.decided)
