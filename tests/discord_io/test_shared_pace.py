"""One global pace across processes: every counted request reserves its turn from one row.

Two ``Database`` pools stand for two processes of the same bot (a deliverer and a gateway);
the turns they reserve are read back from the database's own clock, so nothing here depends
on how fast this machine runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.discord_io.pacing import DatabaseClock, SharedPace
from storage import Database
from storage.pace import PaceRow, ReservedTurn
from tests.fixtures.engines import on_postgres

SPACING = 1 / 48


@pytest.fixture
async def other_process(database_target: str) -> AsyncIterator[Database]:
    """A second pool on the same database, as another process of the bot has."""
    database = await Database.open(database_target)
    try:
        yield database
    finally:
        await database.close()


async def next_turn(database: Database) -> float:
    row = await database.fetch_one("SELECT next_turn FROM global_pace")
    assert row is not None
    return float(row[0])


@on_postgres
async def test_two_processes_reserve_turns_a_spacing_apart(
    database: Database, other_process: Database
) -> None:
    rows = [PaceRow(database), PaceRow(other_process)]
    await rows[0].reserve(SPACING)
    first_turn = await next_turn(database) - SPACING
    await asyncio.gather(*(rows[n % 2].reserve(SPACING) for n in range(39)))
    # (1e-4: epoch seconds as doubles add up rounding of about 1e-7 a turn.)
    # Every reservation moved the one row on by a spacing at least (more when the row had
    # fallen behind the clock): no two requests of either process got the same turn.
    assert await next_turn(database) >= first_turn + 40 * SPACING - 1e-4


@on_postgres
async def test_an_idle_row_gives_a_turn_a_lead_after_now(database: Database) -> None:
    row = PaceRow(database)
    await row.reserve(SPACING)
    await asyncio.sleep(2 * SPACING)  # the row falls idle: its next turn is past
    reserved = await row.reserve(SPACING, lead=0.5)
    assert 0 < reserved.wait <= 0.5  # ahead of now, by the lead (less the statement's time)
    assert await next_turn(database) == pytest.approx(reserved.turn + SPACING)


@on_postgres
async def test_the_row_is_made_again_when_lost(database: Database) -> None:
    row = PaceRow(database)
    await row.reserve(SPACING)
    async with database.transaction() as tx:
        await tx.execute("DELETE FROM global_pace")
    assert (await row.reserve(SPACING)).wait <= 0  # a fresh row: the first turn is now
    assert await row.next_turn_in() > 0


async def test_sqlite_has_no_shared_pace(database: Database) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        PaceRow(database)


@on_postgres
async def test_counted_requests_take_shared_turns_and_replies_do_not(
    database: Database, other_process: Database, answering_api: str
) -> None:
    """Through the real trace hook of two processes' sessions."""
    paces = [SharedPace(database), SharedPace(other_process)]
    for pace in paces:
        pace.exempt_application(42)
    base = answering_api
    sessions = [aiohttp.ClientSession(trace_configs=[pace.trace_config()]) for pace in paces]
    try:

        async def post(session: aiohttp.ClientSession, path: str) -> None:
            async with session.post(base + path) as response:
                await response.read()

        await asyncio.gather(*(
            post(sessions[n % 2], f"/channels/{n}/messages") for n in range(10)
        ))
        # (A request that woke late takes a second turn: at least one each.)
        posted = [pace.turns for pace in paces]
        await post(sessions[0], "/interactions/7/token/callback")
        await post(sessions[1], "/webhooks/42/token/messages/@original")
    finally:
        for session in sessions:
            await session.close()
    assert all(turns >= 5 for turns in posted)
    assert [pace.turns for pace in paces] == posted  # the replies took no turn
    assert [len(pace.turn_seconds) for pace in paces] == posted


@on_postgres
async def test_an_unreachable_row_falls_back_to_this_process_pace(
    database_target: str,
) -> None:
    gone = await Database.open(database_target)
    pace = SharedPace(gone)
    await gone.close()
    await asyncio.wait_for(pace.wait_turn(), timeout=10)  # paced alone, not stuck
    assert pace.turns == 0


class SlowAnswers(PaceRow):
    """The real pace row, whose first answer reaches this process ``delay`` seconds after
    the database gave it (a busy database server, or this process's event loop stalled)."""

    def __init__(self, database: Database, delay: float) -> None:
        super().__init__(database)
        self._delays = [delay]

    async def reserve(self, spacing: float, lead: float = 0.0) -> ReservedTurn:
        reserved = await super().reserve(spacing, lead)
        if self._delays:
            await asyncio.sleep(self._delays.pop())
        return reserved


@on_postgres
async def test_a_turn_whose_answer_came_late_is_given_up_for_a_fresh_one(
    database: Database,
) -> None:
    """Issue 18: the turn's answer arrived 0.3 s after the database gave it; sleeping the
    turn's wait from the answer's arrival sent the request 0.3 s late, among the next
    turns (51 in a second across the deliverer and the gateways)."""
    pace = SharedPace(database, row=SlowAnswers(database, delay=0.3))
    await pace.wait_turn()
    assert pace.late_turns >= 1  # the late turn (and any other) was given up...
    assert pace.turns == pace.late_turns + 1  # ...and the request went on a fresh one


def test_the_database_clock_trusts_the_quickest_reservation() -> None:
    clock = DatabaseClock()
    # The database's clock runs 1000 s ahead of this process's. A first answer 0.2 s in
    # transit, then a quick one: the quick one sets the offset.
    clock.observe(10.0, ReservedTurn(turn=1010.5, now=1010.0), 10.2)
    clock.observe(20.0, ReservedTurn(turn=1020.5, now=1020.001), 20.002)
    assert clock.turn_at(30.0, ReservedTurn(turn=1031.0, now=1030.0), 30.002) == (
        pytest.approx(31.0)
    )


def test_a_turn_is_never_placed_outside_its_round_trip() -> None:
    clock = DatabaseClock()
    # Only one reservation seen so far, a slow one (0.4 s): its offset, guessed from the
    # middle of the round trip, may be 0.2 s off either way.
    reserved = ReservedTurn(turn=1010.1, now=1010.0)
    clock.observe(10.0, reserved, 10.4)
    assert clock.turn_at(10.0, reserved, 10.4) == pytest.approx(10.3)
    # A quick reservation the guess would place 2 s after its answer plus its wait: the
    # database read its now before the answer came back, so the turn is no later than that.
    quick = ReservedTurn(turn=1012.0, now=1011.9)
    assert clock.turn_at(10.0, quick, 10.05) == pytest.approx(10.05 + 0.1)
