"""Start-up and shut-down: open the database and HTTP session once, build services and bot.

Rule: every resource opened here is closed here, in reverse order, whatever happened.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from bot.app.polling import fetch_settings_for
from bot.app.services import Services, reading_pool_for, utc_now
from bot.app.settings import Settings
from bot.discord_io.client import NewsdeskBot
from bot.discord_io.session_starts import IdentifyTurns, LocalIdentifyTurns
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.timings import PipelineTimings
from storage import Database, Repositories
from storage.database import printable
from storage.identify_turns import IdentifyTurnRepository

log = logging.getLogger(__name__)


def identify_turns_for(database: Database) -> IdentifyTurns:
    """Where identify turns are kept: the shared table on PostgreSQL (every gateway process,
    and a restarted one, sees the turns taken), in memory for one process on SQLite."""
    if database.dialect.is_postgres:
        return IdentifyTurnRepository(database)
    return LocalIdentifyTurns()


@asynccontextmanager
async def open_newsdesk(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    timings: PipelineTimings | None = None,
    **client_options: Any,
) -> AsyncIterator[NewsdeskBot]:
    """Open the database and HTTP session, and yield a bot ready to ``start``.

    ``timings`` are the pipeline's waits; production uses the defaults, tests short ones.
    """
    database = await Database.open(settings.database)
    fetch_settings = fetch_settings_for(settings)
    session = Fetcher.create_session(fetch_settings)
    reading_pool = reading_pool_for(settings)
    bot: NewsdeskBot | None = None
    try:
        repositories = Repositories.over(database)
        services = Services.build(
            settings, repositories, Fetcher(session, fetch_settings), reading_pool, clock
        )
        bot = NewsdeskBot(
            services, repositories, timings=timings or PipelineTimings(),
            identify_turns=identify_turns_for(database), **client_options
        )
        yield bot
    finally:
        if bot is not None and not bot.is_closed():
            await bot.close()
        await reading_pool.close()
        await session.close()
        await database.close()
        log.info("newsdesk stopped database=%s", printable(settings.database))
