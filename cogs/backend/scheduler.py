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

# Polling rounds running at once: each takes only feeds no other round is checking, so more
# rounds mean a slow feed in one never stops the next ticks; past this, a tick starts none.
MAX_ROUNDS = 4


class Scheduler(commands.Cog):
    """Runs polling and delivery for as long as the cog is loaded."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        self._delivery_task: asyncio.Task[None] | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._rounds: set[asyncio.Task[None]] = set()
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
        for task in (self._delivery_task, self._reader_task, *self._rounds):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._delivery_task = self._reader_task = None
        await self.bot.reader.give_back_unfinished()

    @tasks.loop(seconds=30)
    async def poll_tick(self) -> None:
        """Start a round over the feeds that are due, and send the digests that are due.

        A round is not waited for: a feed that takes long (a slow site, a huge document up to
        its deadline) would otherwise hold back the next check of every other server's feeds.
        The next tick starts another round over what is due and not being checked.
        """
        if len(self._rounds) < MAX_ROUNDS:
            round_ = asyncio.create_task(self._poll_round(), name="newsdesk-poll-round")
            self._rounds.add(round_)
            round_.add_done_callback(self._rounds.discard)
        try:
            if await self.bot.services.digests.run_due():
                self.bot.deliverer.wake()
        except Exception:
            log.exception("digest round crashed; the next tick retries")

    async def _poll_round(self) -> None:
        try:
            await self.bot.services.poller.poll_due(
                on_queued=lambda _outbox_ids: self.bot.new_posts_queued()
            )
        except Exception:
            log.exception("polling round crashed; the next tick retries")

    @poll_tick.before_loop
    async def before_poll_tick(self) -> None:
        """Wait for the gateway so the first round's posts have somewhere to go."""
        await self.bot.wait_until_ready()


async def setup(bot: NewsdeskBot) -> None:
    """Load the scheduler."""
    await bot.add_cog(Scheduler(bot))
