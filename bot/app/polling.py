"""What a polling process is built from: the fetcher's settings, the feed-parsing pool and the
poller, from the application's settings.

Rule: this module imports only what polling needs (no page reading, search or charts), so
the poller role starts in a fraction of the time the whole bot takes to import.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.app.settings import Settings
from bot.pipeline.fetch.fetcher import Fetcher, FetchSettings
from bot.pipeline.parse import FeedParser
from bot.pipeline.poll.poller import ClaimPolicy, Poller
from bot.pipeline.worker_pool import WorkerPool
from storage import Repositories


def fetch_settings_for(settings: Settings) -> FetchSettings:
    """Derive the fetcher's settings from the application's."""
    return FetchSettings(
        user_agent=settings.user_agent,
        per_host_limit=settings.per_host_limit,
        timeout_seconds=settings.fetch_timeout_seconds,
        allow_private_addresses=settings.allow_private_addresses,
        allowed_private_origins=settings.allowed_private_origins,
    )


FEED_PARSING_MODULES = ("bot.pipeline.parse",)
"""What a worker that only parses feeds imports (a poller's: no page reading)."""


def feed_pool_for(settings: Settings) -> WorkerPool:
    """Return the worker pool of a process that parses feeds and reads no pages (the poller
    role): ``read_workers`` workers importing only the feed parser."""
    return WorkerPool(
        settings.read_workers, settings.read_deadline_seconds, preload=FEED_PARSING_MODULES
    )


def poller_for(
    settings: Settings,
    repositories: Repositories,
    fetcher: Fetcher,
    clock: Callable[[], datetime],
    feeds: FeedParser,
) -> Poller:
    """Return the poller, claiming due feeds as the settings say."""
    claims = ClaimPolicy(settings.poll_batch, settings.poll_lease_seconds)
    return Poller(repositories, fetcher, clock, feeds, claims)
