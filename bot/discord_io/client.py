"""The ``commands.Bot`` subclass: loads the cogs, syncs commands, owns the deliverer.

Rules: resources are injected (``Services``), never global; slash commands sync to
``DEV_GUILD_ID`` at start-up when it is set, and globally only through the owner's ``/sync``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord.ext import commands

from bot.app.services import Services
from bot.core.errors import LoginRefused
from bot.discord_io.pacing import SendPacer
from bot.discord_io.sender import DiscordPostSender
from bot.pipeline.deliver.deliverer import Deliverer
from bot.pipeline.read.extraction.places import gazetteer
from bot.pipeline.read.reader import ArticleReader
from bot.pipeline.story.desk import StoryDesk
from bot.pipeline.timings import PipelineTimings
from storage import Repositories

log = logging.getLogger(__name__)

BAD_TOKEN = (
    "Discord refused the token in DISCORD_TOKEN: copy it again from the Bot page of your "
    "application in the Discord Developer Portal."
)
PRIVILEGED_INTENTS = (
    "Discord refused an intent Newsdesk asked for: check the Bot page's Privileged Gateway "
    "Intents in the Developer Portal."
)


async def run_until_closed(bot: commands.Bot, token: str) -> None:
    """Log in with ``token`` and run until the bot is closed.

    Raises:
        LoginRefused: Discord refused the token or an intent, said as what to fix.
    """
    try:
        await bot.start(token)
    except discord.LoginFailure:
        raise LoginRefused(BAD_TOKEN) from None
    except discord.PrivilegedIntentsRequired:
        raise LoginRefused(PRIVILEGED_INTENTS) from None


# discord.py runs each slash command in a task of this name (CommandTree._from_interaction).
COMMAND_TASK_NAME = "CommandTree-invoker"

COG_EXTENSIONS = (
    "cogs.digests",
    "cogs.backend.errors",
    "cogs.feeds.commands",
    "cogs.follows",
    "cogs.notify",
    "cogs.admin.help",
    "cogs.admin.owner",
    "cogs.articles",
    "cogs.backend.scheduler",
    "cogs.search",
    "cogs.admin.server_preferences",
    "cogs.stories",
)


class NewsdeskBot(commands.Bot):
    """Newsdesk's Discord client.

    Cogs reach the domain through ``services`` only. The bot runs the pipeline's last steps,
    the reader and the deliverer, over ``repositories``, which it keeps no reference to.
    """

    def __init__(
        self,
        services: Services,
        repositories: Repositories,
        *,
        timings: PipelineTimings,
        freeze_heap_when_ready: bool = False,
        **client_options: Any,
    ) -> None:
        intents = discord.Intents.default()
        self._freeze_heap_when_ready = freeze_heap_when_ready
        self.pacer = SendPacer()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=self.pacer.trace_config(),
            **client_options,
        )
        self.services = services
        self.deliverer = Deliverer(
            repositories, DiscordPostSender(self), services.clock, timings=timings
        )
        # One process: each reading goes straight to the desk, decided as soon as it is read.
        desk = StoryDesk(repositories, services.clock, timings=timings)
        self.reader = ArticleReader(
            repositories, services.fetcher, services.clock, pool=services.reading_pool,
            timings=timings, desk=desk, on_ready_to_post=self.deliverer.wake,
        )

    def new_posts_queued(self) -> None:
        """Start the pipeline on freshly queued posts: read their articles, then deliver."""
        self.reader.wake()
        self.deliverer.wake()

    async def settle(self, outbox_ids: Sequence[int], wait_seconds: float) -> bool:
        """Wait until these posts are read and delivered (or skipped/failed), and every
        notice is sent; False on timeout."""
        return await self.deliverer.wait_until_delivered(
            outbox_ids, wait_seconds, nudge=self.reader.wake
        )

    async def commands_finished(self, wait_seconds: float) -> bool:
        """Wait until no slash command is being handled any more (its last reply sent, its
        error answered); False when some still run after ``wait_seconds``."""
        running = {
            task for task in asyncio.all_tasks()
            if task.get_name() == COMMAND_TASK_NAME and task is not asyncio.current_task()
        }
        if not running:
            return True
        _done, pending = await asyncio.wait(running, timeout=wait_seconds)
        return not pending

    async def setup_hook(self) -> None:
        """Load the cogs and sync commands to the development server when one is set."""
        # The place gazetteer takes seconds to decode and holds the GIL while it does: load
        # it before the gateway connects, not in the middle of the first article.
        await asyncio.to_thread(gazetteer)
        if self.application_id is not None:
            self.pacer.exempt_application(self.application_id)
        for extension in COG_EXTENSIONS:
            await self.load_extension(extension)
        guild_id = self.services.settings.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced commands guild_id=%s count=%d", guild_id, len(synced))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Stop posting for a server that removed the bot."""
        disabled = await self.services.subscriptions.forget_guild(guild.id)
        log.info("removed from guild guild_id=%s subscriptions_disabled=%d", guild.id, disabled)

    async def on_ready(self) -> None:
        """Log who we are once connected."""
        assert self.user is not None
        log.info("connected as %s (id=%s) guilds=%d", self.user, self.user.id, len(self.guilds))
        if self._freeze_heap_when_ready:
            self._freeze_heap_when_ready = False
            # What is loaded by now (the place gazetteer, the extraction libraries, every
            # guild's cache) lives as long as the process. Each full collection walked it
            # again and froze the loop for a quarter of a second (the soak saw one a minute);
            # frozen objects are skipped.
            gc.collect()
            gc.freeze()
            log.info("heap frozen objects=%d", gc.get_freeze_count())
