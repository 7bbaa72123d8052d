"""The gateway role: a range of Discord gateway shards answering commands and buttons.

Rules:
- The process runs ``NewsdeskGateway``: every cog but the scheduler, so no pipeline loop
  (polling, reading, delivering) runs here. Commands that queue work send wake-up hints to
  the processes that do it (``HintedWork``); what a command does itself (``/feed add``'s first
  fetch, ``/feed refresh``, ``/summarize``) it still does here, as in one process.
- Its shards are ``--shards``/``--shard-count`` (or ``NEWSDESK_SHARDS`` and
  ``NEWSDESK_SHARD_COUNT``); none given: every shard ``GET /gateway/bot`` recommends. Every
  gateway process of a bot must use the same shard count.
- IDENTIFYs take turns in the shared table (``storage.identify_turns``), so the processes
  together keep Discord's buckets and daily budget, wherever they run; every request that
  counts toward Discord's global limit takes its turn from the one pace row (``SharedPace``)
  that the deliverer paces from too (interaction replies are exempt, as in one process).
- It stops on ``context.stop`` (SIGTERM/SIGINT) and closes what it opened; a bot that stops
  by itself (a refused token) ends the role with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.app.polling import fetch_settings_for
from bot.app.roles import RoleContext
from bot.app.services import Services, reading_pool_for
from bot.discord_io.client import NewsdeskGateway, run_until_closed
from bot.discord_io.pacing import SharedPace
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.work_signals import HintedWork
from storage.identify_turns import IdentifyTurnRepository

log = logging.getLogger(__name__)


async def serve(context: RoleContext) -> None:
    """Run this process's gateway shards until ``context.stop`` is set."""
    settings = context.settings
    token = settings.discord_token
    assert token is not None, "the command line refuses the gateway role without a token"
    fetch_settings = fetch_settings_for(settings)
    session = Fetcher.create_session(fetch_settings)
    reading_pool = reading_pool_for(settings)
    try:
        services = Services.build(
            settings, context.repositories, Fetcher(session, fetch_settings), reading_pool
        )
        bot = NewsdeskGateway(
            services,
            work=HintedWork(context.wakeups),
            identify_turns=IdentifyTurnRepository(context.database),
            pacer=SharedPace(context.database),
            freeze_heap_when_ready=True,
            **context.shards.client_options(),
        )

        async def announce_ready() -> None:
            log.info(
                "gateway ready shards=%s of %s guilds=%d",
                sorted(bot.shards), bot.shard_count, len(bot.guilds),
            )

        bot.add_listener(announce_ready, "on_ready")
        try:
            await _run_until_stopped(bot, token, context.stop)
        finally:
            if not bot.is_closed():
                await bot.close()
    finally:
        await reading_pool.close()
        await session.close()


async def _run_until_stopped(bot: NewsdeskGateway, token: str, stop: asyncio.Event) -> None:
    runner = asyncio.create_task(run_until_closed(bot, token), name="newsdesk-gateway")
    stopping = asyncio.create_task(stop.wait(), name="newsdesk-gateway-stop")
    try:
        await asyncio.wait({runner, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            runner.result()  # a refused token or intent ends the role with its sentence
            log.warning("the gateway connection ended by itself")
    finally:
        stopping.cancel()
        await bot.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
