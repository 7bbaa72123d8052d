"""The Discord client: ``NewsdeskGateway`` (shards, cogs, commands) and ``NewsdeskBot`` (the
same plus the reader and the deliverer: one process, role ``all``).

Rules: resources are injected (``Services``, the pacer, where identify turns are kept), never
global; slash commands sync to ``DEV_GUILD_ID`` at start-up when it is set, and globally only
through the owner's ``/sync``; a gateway process runs no pipeline loop (no scheduler cog).
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
from bot.discord_io.pacing import RequestPacer, SendPacer
from bot.discord_io.route_buckets import answer_first
from bot.discord_io.sender import DiscordPostSender
from bot.discord_io.session_starts import (
    IdentifyGate,
    IdentifyTurns,
    LocalIdentifyTurns,
    SessionStartLimit,
)
from bot.pipeline.deliver.deliverer import Deliverer
from bot.pipeline.read.extraction.places import gazetteer
from bot.pipeline.read.reader import ArticleReader
from bot.pipeline.story.desk import StoryDesk
from bot.pipeline.timings import PipelineTimings
from bot.pipeline.work_signals import InProcessWork, WorkSignals
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


async def run_until_closed(bot: discord.Client, token: str) -> None:
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


# The cogs of a gateway process: every one but the scheduler, which runs the pipeline's loops.
GATEWAY_COG_EXTENSIONS = tuple(name for name in COG_EXTENSIONS if name != "cogs.backend.scheduler")


class NewsdeskGateway(commands.AutoShardedBot):
    """Newsdesk's Discord client: its gateway shards, the cogs and their commands.

    Cogs reach the domain through ``services`` only, and tell the pipeline about work they
    queued through ``work``. Which shards it runs come in ``client_options`` (``shard_ids``,
    ``shard_count``; none: every shard ``GET /gateway/bot`` recommends). Each IDENTIFY waits
    for its turn (``identify_turns``: in memory, or shared by every gateway process), and
    every HTTP request for the ``pacer``'s (one process's, or shared by all).
    """

    def __init__(
        self,
        services: Services,
        *,
        work: WorkSignals,
        identify_turns: IdentifyTurns,
        pacer: RequestPacer | None = None,
        extensions: Sequence[str] = GATEWAY_COG_EXTENSIONS,
        freeze_heap_when_ready: bool = False,
        **client_options: Any,
    ) -> None:
        intents = discord.Intents.default()
        self._freeze_heap_when_ready = freeze_heap_when_ready
        self._extensions = tuple(extensions)
        self.pacer: RequestPacer = pacer if pacer is not None else SendPacer()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=self.pacer.trace_config(),
            **client_options,
        )
        answer_first(self)
        self.services = services
        self.work = work
        self.identify_gate = IdentifyGate(identify_turns, self._session_start_limit)

    async def posts_queued(self) -> None:
        """Start the pipeline on freshly queued posts: read their articles, then deliver."""
        await self.work.posts_queued()

    async def feeds_changed(self) -> None:
        """Tell the pollers that feeds were added or brought back."""
        await self.work.feeds_changed()

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

    async def _session_start_limit(self) -> SessionStartLimit:
        limits = await self.fetch_session_start_limits()
        return SessionStartLimit(
            limits.total, limits.remaining, limits.reset_after / 1000, limits.max_concurrency
        )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for this shard's identify turn (its bucket's, within the day's budget)."""
        await self.identify_gate.wait_for_turn(shard_id or 0)

    async def setup_hook(self) -> None:
        """Load the cogs and sync commands to the development server when one is set."""
        if self.application_id is not None:
            self.pacer.exempt_application(self.application_id)
        for extension in self._extensions:
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

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log each shard as it connects."""
        shard = self.get_shard(shard_id)
        guilds = sum(1 for guild in self.guilds if guild.shard_id == shard_id)
        log.info(
            "shard %d/%s ready guilds=%d", shard_id,
            shard.shard_count if shard is not None else "?", guilds,
        )

    async def on_ready(self) -> None:
        """Log who we are once every shard is connected."""
        assert self.user is not None
        log.info(
            "connected as %s (id=%s) shards=%s guilds=%d",
            self.user, self.user.id, sorted(self.shards), len(self.guilds),
        )
        if self._freeze_heap_when_ready:
            self._freeze_heap_when_ready = False
            # What is loaded by now (the place gazetteer, the extraction libraries, every
            # guild's cache) lives as long as the process. Each full collection walked it
            # again and froze the loop for a quarter of a second (the soak saw one a minute);
            # frozen objects are skipped.
            gc.collect()
            gc.freeze()
            log.info("heap frozen objects=%d", gc.get_freeze_count())


class NewsdeskBot(NewsdeskGateway):
    """Newsdesk in one process (role ``all``): the gateway, plus the pipeline's last steps.

    The bot runs the reader and the deliverer (the scheduler cog starts them) over
    ``repositories``, which it keeps no reference to; commands wake them directly.
    """

    def __init__(
        self,
        services: Services,
        repositories: Repositories,
        *,
        timings: PipelineTimings,
        identify_turns: IdentifyTurns | None = None,
        **client_options: Any,
    ) -> None:
        # Built before the client: the sender only keeps a reference to it.
        self.deliverer = Deliverer(
            repositories, DiscordPostSender(self), services.clock, timings=timings
        )
        # One process: each reading goes straight to the desk, decided as soon as it is read.
        desk = StoryDesk(repositories, services.clock, timings=timings)
        self.reader = ArticleReader(
            repositories, services.fetcher, services.clock, pool=services.reading_pool,
            timings=timings, desk=desk, on_ready_to_post=self.deliverer.wake,
        )
        self._in_process = InProcessWork(self.reader, self.deliverer)
        super().__init__(
            services,
            work=self._in_process,
            identify_turns=identify_turns if identify_turns is not None else LocalIdentifyTurns(),
            extensions=COG_EXTENSIONS,
            **client_options,
        )

    def new_posts_queued(self) -> None:
        """Start the pipeline on freshly queued posts: read their articles, then deliver."""
        self._in_process.wake()

    async def settle(self, outbox_ids: Sequence[int], wait_seconds: float) -> bool:
        """Wait until these posts are read and delivered (or skipped/failed), and every
        notice is sent; False on timeout."""
        return await self.deliverer.wait_until_delivered(
            outbox_ids, wait_seconds, nudge=self.reader.wake
        )

    async def setup_hook(self) -> None:
        """Load the place gazetteer, then the cogs (the scheduler among them)."""
        # The place gazetteer takes seconds to decode and holds the GIL while it does: load
        # it before the gateway connects, not in the middle of the first article.
        await asyncio.to_thread(gazetteer)
        await super().setup_hook()
