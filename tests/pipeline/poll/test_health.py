"""Feed health decisions: back-off, notices, giving up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import Feed
from bot.pipeline.poll.health import failure_delay, plan_failure, recovery_notice

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FEED = Feed(
    id=1, url="https://news.example/feed", title="Example News", site_url=None, etag=None,
    last_modified=None, body_sha256=None, interval_seconds=600, next_check_at=NOW,
    last_checked_at=None, error_count=0, last_error=None,
)


@pytest.mark.parametrize(
    ("failures", "retry_after", "expected"),
    [
        (1, None, timedelta(minutes=5)),
        (2, None, timedelta(minutes=10)),
        (4, None, timedelta(minutes=40)),
        (12, None, timedelta(hours=6)),
        (1, 3600.0, timedelta(hours=1)),
        (1, 10 * 86400.0, timedelta(days=1)),
    ],
)
def test_back_off(failures: int, retry_after: float | None, expected: timedelta) -> None:
    assert failure_delay(failures, retry_after) == expected


def test_admins_are_told_on_the_third_failure_only_once() -> None:
    assert plan_failure(FEED, "boom.", NOW, None).notice is None
    second = replace(FEED, error_count=1, failing_since=NOW)
    assert plan_failure(second, "boom.", NOW, None).notice is None
    third = plan_failure(replace(FEED, error_count=2, failing_since=NOW), "boom.", NOW, None)
    assert third.notice is not None and "failed 3 checks in a row: boom." in third.notice
    notified = replace(FEED, error_count=3, failing_since=NOW, failure_notified=True)
    assert plan_failure(notified, "boom.", NOW, None).notice is None


def test_a_week_of_failures_disables_the_feed_with_a_notice() -> None:
    failing = replace(FEED, error_count=40, failing_since=NOW - timedelta(days=7),
                      failure_notified=True)
    planned = plan_failure(failing, "Gone.", NOW, None)
    assert planned.disable
    assert planned.notice is not None and "gave up" in planned.notice


def test_recovery_is_announced_only_after_a_warning() -> None:
    assert recovery_notice(FEED) is None
    assert recovery_notice(replace(FEED, error_count=1)) is None
    announced = recovery_notice(replace(FEED, error_count=5, failure_notified=True))
    assert announced is not None and "works again" in announced
