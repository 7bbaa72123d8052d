"""The domain API the cogs call, built once at start-up from settings and shared resources.

Rule (Red's ``bank`` pattern): a cog calls a service and never storage; each service holds
the repositories it needs, and nothing here exposes them. The pipeline's own steps (the
reader and the deliverer) are built by the bot over the same repositories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.app.settings import Settings
from bot.features.articles import ReadingService
from bot.features.digests import DigestService
from bot.features.feeds.subscriptions import SubscriptionService
from bot.features.follows.service import FollowService
from bot.features.search.search import SearchService
from bot.features.search.trends import TrendService
from bot.features.server_preferences import ServerPreferencesService
from bot.features.stories import StoryService
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.poll.poller import Poller
from storage import Repositories


def utc_now() -> datetime:
    """Return the current moment as an aware UTC datetime (the production clock)."""
    return datetime.now(tz=UTC)


@dataclass(frozen=True)
class Services:
    """Everything the cogs and loops call; nothing here knows about Discord."""

    settings: Settings
    fetcher: Fetcher
    subscriptions: SubscriptionService
    stories: StoryService
    reading: ReadingService
    trends: TrendService
    server_preferences: ServerPreferencesService
    poller: Poller
    follows: FollowService
    search: SearchService
    digests: DigestService
    clock: Callable[[], datetime]

    @classmethod
    def build(
        cls,
        settings: Settings,
        repositories: Repositories,
        fetcher: Fetcher,
        clock: Callable[[], datetime] = utc_now,
    ) -> Services:
        """Wire the services over the given resources."""
        return cls(
            settings=settings,
            fetcher=fetcher,
            subscriptions=SubscriptionService(repositories, fetcher, settings, clock),
            stories=StoryService(repositories),
            reading=ReadingService(repositories, fetcher, clock),
            trends=TrendService(repositories, clock),
            server_preferences=ServerPreferencesService(repositories),
            poller=Poller(repositories, fetcher, clock),
            follows=FollowService(repositories, clock),
            search=SearchService(repositories, clock),
            digests=DigestService(repositories, clock),
            clock=clock,
        )
