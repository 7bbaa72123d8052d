"""The console's rendering of what the bot sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.sandbox.message_display import relative_time, render_timestamps

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (NOW - timedelta(seconds=1), "1 second ago"),
        (NOW - timedelta(minutes=5, seconds=3), "5 minutes ago"),
        (NOW - timedelta(days=2, hours=1), "2 days ago"),
        (NOW + timedelta(hours=3), "in 3 hours"),
    ],
)
def test_relative_time(moment: datetime, expected: str) -> None:
    assert relative_time(moment, NOW) == expected


def test_timestamps_render_as_a_person_reads_them() -> None:
    seconds = int((NOW - timedelta(minutes=2)).timestamp())
    text = f"Published <t:{seconds}:f> (<t:{seconds}:R>)"
    assert render_timestamps(text, NOW) == "Published 2026-11-29 11:58 UTC (2 minutes ago)"
