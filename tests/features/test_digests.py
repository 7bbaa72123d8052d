"""Digest schedules: local times, weekdays, daylight saving, and a durable run."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import InvalidInput
from bot.features.digests import next_run, parse_time_of_day, parse_timezone


@pytest.mark.parametrize(
    ("frequency", "weekday", "after", "expected"),
    [
        # 08:30 in Berlin is 07:30 UTC in winter.
        (
            "daily",
            None,
            datetime(2026, 11, 29, 6, 0, tzinfo=UTC),
            datetime(2026, 11, 29, 7, 30, tzinfo=UTC),
        ),
        (
            "daily",
            None,
            datetime(2026, 11, 29, 7, 30, tzinfo=UTC),
            datetime(2026, 11, 30, 7, 30, tzinfo=UTC),
        ),
        # Across the spring change (29 March 2026): 08:30 is then 06:30 UTC.
        (
            "daily",
            None,
            datetime(2026, 3, 28, 8, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 6, 30, tzinfo=UTC),
        ),
        # Weekly on Monday (0); 29 November 2026 is a Sunday.
        (
            "weekly",
            0,
            datetime(2026, 11, 29, 6, 0, tzinfo=UTC),
            datetime(2026, 11, 30, 7, 30, tzinfo=UTC),
        ),
        (
            "weekly",
            6,
            datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
            datetime(2026, 12, 6, 7, 30, tzinfo=UTC),
        ),
    ],
)
def test_next_run(frequency: str, weekday: int | None, after: datetime, expected: datetime) -> None:
    assert next_run(frequency, weekday, 8 * 60 + 30, ZoneInfo("Europe/Berlin"), after) == expected


@pytest.mark.parametrize(("text", "minutes"), [("08:30", 510), ("8.05", 485), ("23h59", 1439)])
def test_time_of_day(text: str, minutes: int) -> None:
    assert parse_time_of_day(text) == minutes


@pytest.mark.parametrize("text", ["24:00", "8", "noon", "08:60"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_time_of_day(text)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a time zone"):
        parse_timezone("Mars/Olympus")
    assert parse_timezone("America/New_York").key == "America/New_York"
