"""Identify turns on PostgreSQL: one bucket's turns spaced whoever takes them, buckets apart,
and the day's session starts counted in the same statement (storage/identify_turns.py)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from storage import Database
from storage.identify_turns import IdentifyTurn, IdentifyTurnRepository

pytestmark = pytest.mark.postgres

SPACING = 5.5


@pytest.fixture
def storage_engine() -> str:
    """The turns are shared by processes through PostgreSQL only."""
    return "postgres"


def granted(turn: IdentifyTurn) -> float:
    assert turn.at is not None and turn.wait_seconds is not None, turn
    return turn.at


async def test_one_buckets_turns_are_spaced_whichever_process_takes_them(
    database: Database, second_process: Database
) -> None:
    first, second = IdentifyTurnRepository(database), IdentifyTurnRepository(second_process)
    await first.prepare(max_concurrency=2, total=1000)
    await second.prepare(max_concurrency=2, total=1000)  # a second prepare changes nothing
    takes = [turns.take(0, SPACING, 10) for turns in (first, second) * 4]
    moments = sorted(granted(turn) for turn in await asyncio.gather(*takes))
    gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
    assert gaps == pytest.approx([SPACING] * 7)
    # The other bucket starts at once, beside bucket 0's queue.
    other_bucket = await second.take(1, SPACING, 10)
    assert other_bucket.wait_seconds == 0.0
    assert other_bucket.remaining == 1000 - 9


async def test_spent_session_starts_grant_no_turn_and_move_no_bucket(database: Database) -> None:
    turns = IdentifyTurnRepository(database)
    await turns.prepare(max_concurrency=1, total=1000)
    await turns.record_limit(total=1000, remaining=3, reset_after_seconds=3600)
    first = await turns.take(0, SPACING, 1)
    second = await turns.take(0, SPACING, 1)
    assert (first.remaining, second.remaining) == (2, 1)
    refused = await turns.take(0, SPACING, 1)
    assert refused.wait_seconds is None and refused.at is None
    assert refused.remaining == 1
    assert 3590 < refused.resets_in_seconds <= 3600
    # Discord's next answer is a new window (its end is a day away): turns go on from where
    # the bucket was, the refusal having moved nothing.
    await turns.record_limit(total=1000, remaining=1000, reset_after_seconds=86_400)
    third = await turns.take(0, SPACING, 1)
    assert granted(third) == pytest.approx(granted(second) + SPACING)
    assert third.remaining == 999


async def test_the_same_window_keeps_the_lower_count(database: Database) -> None:
    turns = IdentifyTurnRepository(database)
    await turns.prepare(max_concurrency=1, total=1000)
    await turns.record_limit(total=1000, remaining=500, reset_after_seconds=3600)
    # An answer Discord gave before this process's last identifies were counted.
    await turns.record_limit(total=1000, remaining=800, reset_after_seconds=3599)
    assert (await turns.take(0, SPACING, 10)).remaining == 499


async def test_an_ended_window_refills_to_the_total(database: Database) -> None:
    turns = IdentifyTurnRepository(database)
    await turns.prepare(max_concurrency=1, total=1000)
    await turns.record_limit(total=5, remaining=0, reset_after_seconds=0)
    turn = await turns.take(0, SPACING, 0)
    assert turn.wait_seconds == 0.0 and turn.remaining == 4
    assert turn.resets_in_seconds > 86_000


async def test_an_unprepared_bucket_is_refused_and_spends_nothing(database: Database) -> None:
    turns = IdentifyTurnRepository(database)
    await turns.prepare(max_concurrency=2, total=1000)
    with pytest.raises(LookupError):
        await turns.take(5, SPACING, 10)
    assert (await turns.take(0, SPACING, 10)).remaining == 999
