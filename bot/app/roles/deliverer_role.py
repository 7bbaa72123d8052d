"""The deliverer role: sends the outbox and the notices to Discord, one leader at a time.

Rules:
- Every deliverer process contends for leadership (``Leadership``, "deliverer"); only the
  leader delivers, the others stand by. Each term builds a fresh ``Deliverer`` whose writes
  carry the term's fence, so a deliverer that lost its lease writes nothing more. A standby
  that takes over gives back the rows the old leader left claimed and, before sending one
  again, trusts its nonce or looks for its post (``bot.pipeline.deliver.deliverer``): no
  post lost, none doubled, each channel's order kept (one row of a channel in flight).
- Discord over REST only (``bot.discord_io.rest_client``): no gateway, no cache; the
  servers and channels it posts to are fetched and kept in a small LRU
  (``bot.discord_io.directory``).
- Every counted request takes its turn from the database's pace row (``SharedPace``), the
  one global pace of every process of the bot.
- Woken by ``Topic.POSTS_READY`` hints, and by itself every few seconds (a lost hint only
  delays). Digests are the story desk's; notices are delivered here, as posts are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics

from bot.app.roles import RoleContext
from bot.app.roles.leadership import Leadership
from bot.app.services import utc_now
from bot.core.errors import InvalidInput
from bot.discord_io.pacing import SharedPace
from bot.discord_io.rest_client import rest_client
from bot.discord_io.sender import DiscordPostSender
from bot.pipeline.deliver.deliverer import Deliverer
from bot.pipeline.timings import PipelineTimings
from storage.leases import Fence
from storage.wakeups import Topic

log = logging.getLogger(__name__)

ROLE = "deliverer"
PACE_REPORT_SECONDS = 60.0
NO_TOKEN = "The deliverer posts to Discord: set DISCORD_TOKEN to the bot's token."


def pace_report(pace: SharedPace) -> str:
    """One log line: turns taken from the pace row, how long reserving one took, and how
    many turns were given up as late."""
    taken = sorted(pace.turn_seconds)
    if not taken:
        return f"shared pace turns={pace.turns} late={pace.late_turns}"
    p99 = taken[min(len(taken) - 1, int(len(taken) * 0.99))]
    return (
        f"shared pace turns={pace.turns} reserve_p50_ms={statistics.median(taken) * 1000:.2f}"
        f" reserve_p99_ms={p99 * 1000:.2f} reserve_max_ms={taken[-1] * 1000:.2f}"
        f" late={pace.late_turns}"
    )


async def serve(context: RoleContext) -> None:
    """Contend for the deliverer's leadership and deliver while leading, until stopped."""
    token = context.settings.discord_token
    if not token:
        raise InvalidInput(NO_TOKEN)
    pace = SharedPace(context.database)
    leading: list[Deliverer] = []

    def posts_ready() -> None:
        for deliverer in leading:
            deliverer.wake()

    context.wakeups.listen(Topic.POSTS_READY, posts_ready)
    await context.wakeups.start()
    async with rest_client(token, pace) as client:
        sender = DiscordPostSender(client)

        async def deliver_while_leading(fence: Fence) -> None:
            deliverer = Deliverer(
                context.repositories, sender, utc_now, timings=PipelineTimings(), fence=fence
            )
            leading.append(deliverer)
            try:
                await deliverer.run_forever()
            finally:
                leading.remove(deliverer)

        leadership = Leadership(context.database, ROLE)
        log.info(
            "deliverer logged in as %s; contending for leadership holder=%s",
            client.user, leadership.holder,
        )
        reporter = asyncio.create_task(_report_pace(pace), name="newsdesk-pace-report")
        try:
            await leadership.lead(deliver_while_leading, context.stop)
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
            log.info(pace_report(pace))


async def _report_pace(pace: SharedPace) -> None:
    while True:
        await asyncio.sleep(PACE_REPORT_SECONDS)
        if pace.turns:
            log.info(pace_report(pace))
