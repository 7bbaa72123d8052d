"""Per-subscription check intervals: the feed follows the shortest one asked for."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app.services import Services
from bot.core.errors import InvalidInput, NotFound
from storage import Repositories
from tests.e2e.conftest import rss
from tests.fixtures.http_servers import Route, serve_routes


async def test_the_feed_is_checked_at_the_shortest_interval_any_server_asks(
    services: Services, repositories: Repositories
) -> None:
    async with serve_routes(
        {"/f.xml": Route(200, {"Content-Type": "application/rss+xml"}, rss(1))}
    ) as server:
        first = await services.subscriptions.add(1, 11, server.url("/f.xml"), added_by=5)
        second = await services.subscriptions.add(2, 22, server.url("/f.xml"), added_by=6)
    default = services.settings.default_interval_seconds

    _, effective, _ = await services.subscriptions.set_interval(1, first.subscription.id, 30)
    assert effective == min(30 * 60, default)
    _, effective, _ = await services.subscriptions.set_interval(2, second.subscription.id, 5)
    assert effective == 5 * 60
    feed = await repositories.feeds.get(first.subscription.feed_id)
    assert feed is not None and feed.interval_seconds == 5 * 60
    # A shorter interval brings the next check forward; it never waits out the old one.
    assert feed.next_check_at <= services.clock() + timedelta(minutes=5)

    _, effective, _ = await services.subscriptions.set_interval(2, second.subscription.id, None)
    assert effective == min(30 * 60, default)

    with pytest.raises(NotFound):
        await services.subscriptions.set_interval(1, second.subscription.id, 10)
    with pytest.raises(InvalidInput, match="between 2 minutes and 24 hours"):
        await services.subscriptions.set_interval(1, first.subscription.id, 1)
