"""Numbers a feed's site sends never break polling: huge or garbage Retry-After, max-age, ttl.

Real feeds served from 127.0.0.1, subscribed on a real SQLite file, polled by the real poller.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app.services import Services
from bot.core.models import Feed, FeedSnapshot
from bot.pipeline.poll.health import failure_delay
from bot.pipeline.poll.poller import next_check_after_success
from storage import Repositories
from tests.fixtures.http_servers import Route, serve_routes

HUGE = "99999999999999999"


def rss(ttl: str = "") -> bytes:
    ttl_element = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://news.example/</link>{ttl_element}"
        "<item><title>One</title><link>https://news.example/1</link><guid>1</guid></item>"
        "</channel></rss>"
    ).encode()


async def subscribe(repositories: Repositories, url: str, now: datetime) -> None:
    await repositories.subscriptions.subscribe(
        1, 2, FeedSnapshot(
            url=url, title="", site_url=None, etag=None, last_modified=None, body_sha256="",
            interval_seconds=600, next_check_at=now, entries=[],
        ),
        created_by=3, now=now, max_feeds=100,
    )


async def test_a_429_asking_for_forever_is_a_failure_retried_within_a_day(
    services: Services, repositories: Repositories
) -> None:
    routes = {
        "/slow-down.xml": Route(429, {"Retry-After": HUGE}, b""),
        "/ok.xml": Route(200, {"Content-Type": "application/rss+xml"}, rss()),
        "/cached-forever.xml": Route(
            200, {"Content-Type": "application/rss+xml", "Cache-Control": f"max-age={HUGE}"},
            rss(ttl="9" * 500),
        ),
    }
    now = datetime.now(UTC)
    async with serve_routes(routes) as server:
        for path in routes:
            await subscribe(repositories, server.url(path), now)
        report = await services.poller.poll_all()

    assert report.feeds_checked == 3
    assert report.feeds_failed == 1
    feeds = {feed.url.rsplit("/", 1)[1]: feed for feed in await repositories.feeds.followed()}
    limited = feeds["slow-down.xml"]
    assert limited.error_count == 1
    assert limited.last_error is not None and "slow down" in limited.last_error
    assert now < limited.next_check_at <= datetime.now(UTC) + timedelta(days=1)
    for healthy in ("ok.xml", "cached-forever.xml"):
        assert feeds[healthy].error_count == 0
        assert feeds[healthy].next_check_at <= datetime.now(UTC) + timedelta(days=1)
    assert len(report.outbox_ids) == 2


def test_waits_are_clamped_before_any_arithmetic() -> None:
    assert failure_delay(1, 1e17) == timedelta(days=1)
    assert failure_delay(1, float("inf")) == timedelta(days=1)
    assert failure_delay(1, -50.0) == timedelta(minutes=5)
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    feed = Feed(
        id=1, url="https://news.example/feed", title="Wire", site_url=None, etag=None,
        last_modified=None, body_sha256=None, interval_seconds=600, next_check_at=now,
        last_checked_at=None, error_count=0, last_error=None,
    )
    later = next_check_after_success(feed, now, max_age_seconds=1e300, ttl_minutes=10**400)
    assert later == now + timedelta(days=1)
    assert next_check_after_success(feed, now, max_age_seconds=None, ttl_minutes=None) == (
        now + timedelta(minutes=10)
    )
