"""The domain services, built once at start-up from settings and shared resources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.app.settings import Settings
from bot.features.digests import DigestService
from bot.features.feeds.subscriptions import SubscriptionService
from bot.features.follows.service import FollowService
from bot.features.search.search import SearchService
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.poll.poller import Poller
from storage import Repositories
from storage.guild_settings import GuildSettingsRepository


def utc_now() -> datetime:
    """Return the current moment as an aware UTC datetime (the production clock)."""
    return datetime.now(tz=UTC)


@dataclass(frozen=True)
class Services:
    """Everything the cogs and loops call; nothing here knows about Discord."""

    settings: Settings
    repositories: Repositories
    fetcher: Fetcher
    subscriptions: SubscriptionService
    poller: Poller
    guild_settings: GuildSettingsRepository
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
            repositories=repositories,
            fetcher=fetcher,
            subscriptions=SubscriptionService(repositories, fetcher, settings, clock),
            poller=Poller(repositories, fetcher, clock),
            guild_settings=repositories.guild_settings,
            follows=FollowService(repositories, clock),
            search=SearchService(repositories, clock),
            digests=DigestService(repositories, clock),
            clock=clock,
        )
