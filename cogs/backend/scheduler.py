"""The background loops: poll due feeds on a tick; run the article reader and the deliverer.

Rule: a ``tasks.loop`` stops for good on an unexpected exception, so the body catches and
logs per round (and the poller isolates each feed); the reader and the deliverer run as
their own tasks, never die of a bug, and are woken whenever a poll queues posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from discord.ext import commands, tasks

from bot.discord_io.client import NewsdeskBot

log = logging.getLogger(__name__)


class Scheduler(commands.Cog):
    """Runs polling and delivery for as long as the cog is loaded."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self._delivery_task: asyncio.Task[None] | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self.poll_tick.change_interval(seconds=bot.services.settings.scheduler_tick_seconds)

    async def cog_load(self) -> None:
        """Start the deliverer and the polling tick."""
        self._delivery_task = asyncio.create_task(
            self.bot.deliverer.run_forever(), name="newsdesk-deliverer"
        )
        self._reader_task = asyncio.create_task(
            self.bot.reader.run_forever(), name="newsdesk-reader"
        )
        self.poll_tick.start()

    async def cog_unload(self) -> None:
        """Stop both loops; readings the stop cut short do not count against their articles."""
        self.poll_tick.cancel()
        for task in (self._delivery_task, self._reader_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._delivery_task = self._reader_task = None
        await self.bot.reader.give_back_unfinished()

    @tasks.loop(seconds=30)
    async def poll_tick(self) -> None:
        """Check the feeds that are due, and send the digests that are due."""
        try:
            report = await self.bot.services.poller.poll_due()
        except Exception:
            log.exception("polling round crashed; the next tick retries")
        else:
            if report.outbox_ids:
                self.bot.new_posts_queued()
        try:
            if await self.bot.services.digests.run_due():
                self.bot.deliverer.wake()
        except Exception:
            log.exception("digest round crashed; the next tick retries")

    @poll_tick.before_loop
    async def before_poll_tick(self) -> None:
        """Wait for the gateway so the first round's posts have somewhere to go."""
        await self.bot.wait_until_ready()


async def setup(bot: NewsdeskBot) -> None:
    """Load the scheduler."""
    await bot.add_cog(Scheduler(bot))
