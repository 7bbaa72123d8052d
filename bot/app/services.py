"""The domain API the cogs call, built once at start-up from settings and shared resources.

Rule (Red's ``bank`` pattern): a cog calls a service and never storage; each service holds
the repositories it needs, and nothing here exposes them. The pipeline's own steps (the
reader and the deliverer) are built by the bot over the same repositories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.app.polling import poller_for
from bot.app.settings import Settings
from bot.features.articles import ReadingService
from bot.features.digests import DigestService
from bot.features.feeds.delivery_preview import DeliveryPreviewService
from bot.features.feeds.subscriptions import SubscriptionService
from bot.features.follows.service import FollowService
from bot.features.notify import NotifyService
from bot.features.search.search import SearchService
from bot.features.search.trends import TrendService
from bot.features.server_preferences import ServerPreferencesService
from bot.features.stories import StoryService
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.parse import FeedParser
from bot.pipeline.poll.poller import Poller
from bot.pipeline.read.page_reading import READING_MODULES
from bot.pipeline.worker_pool import WorkerPool
from storage import Repositories


def utc_now() -> datetime:
    """Return the current moment as an aware UTC datetime (the production clock)."""
    return datetime.now(tz=UTC)


def reading_pool_for(settings: Settings) -> WorkerPool:
    """Return the worker pool that reads pages and parses feeds (no process starts until the
    first job; whoever makes it closes it)."""
    return WorkerPool(
        settings.read_workers, settings.read_deadline_seconds, preload=READING_MODULES
    )


@dataclass(frozen=True)
class Services:
    """Everything the cogs and loops call; nothing here knows about Discord."""

    settings: Settings
    fetcher: Fetcher
    reading_pool: WorkerPool
    subscriptions: SubscriptionService
    stories: StoryService
    reading: ReadingService
    trends: TrendService
    server_preferences: ServerPreferencesService
    poller: Poller
    follows: FollowService
    search: SearchService
    digests: DigestService
    delivery_preview: DeliveryPreviewService
    notify: NotifyService
    clock: Callable[[], datetime]

    @classmethod
    def build(
        cls,
        settings: Settings,
        repositories: Repositories,
        fetcher: Fetcher,
        reading_pool: WorkerPool,
        clock: Callable[[], datetime] = utc_now,
    ) -> Services:
        """Wire the services over the given resources."""
        feeds = FeedParser(reading_pool, settings.max_feed_items)
        return cls(
            settings=settings,
            fetcher=fetcher,
            reading_pool=reading_pool,
            subscriptions=SubscriptionService(repositories, fetcher, settings, clock, feeds),
            stories=StoryService(repositories),
            reading=ReadingService(repositories, fetcher, clock, reading_pool),
            trends=TrendService(repositories, clock),
            server_preferences=ServerPreferencesService(repositories),
            poller=poller_for(settings, repositories, fetcher, clock, feeds),
            follows=FollowService(repositories, clock),
            search=SearchService(repositories, clock),
            digests=DigestService(repositories, clock),
            delivery_preview=DeliveryPreviewService(repositories),
            notify=NotifyService(repositories),
            clock=clock,
        )
