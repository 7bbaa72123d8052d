"""The per-server feed limit: storage refuses with a typed error, the service says what to do."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app.services import Services
from bot.core.errors import LimitReached
from bot.features.feeds.subscriptions import SubscriptionService
from bot.pipeline.parse import FeedParser
from storage import Repositories
from tests.e2e.conftest import rss
from tests.fixtures.http_servers import Route, serve_routes

FEED = {"Content-Type": "application/rss+xml"}


async def test_the_feed_limit_is_said_with_what_to_do(
    services: Services, repositories: Repositories
) -> None:
    subscriptions = SubscriptionService(
        repositories, services.fetcher,
        replace(services.settings, max_feeds_per_server=1), services.clock,
        FeedParser(services.reading_pool),
    )
    async with serve_routes(
        {"/a.xml": Route(200, FEED, rss(1)), "/b.xml": Route(200, FEED, rss(2))}
    ) as server:
        await subscriptions.add(1, 11, server.url("/a.xml"), added_by=5)
        with pytest.raises(LimitReached) as refused:
            await subscriptions.add(1, 11, server.url("/b.xml"), added_by=5)
    assert refused.value.message == (
        "This server already follows 1 feeds, the most allowed (1). "
        "Remove one with /feed remove first."
    )
