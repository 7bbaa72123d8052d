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

from bot.discord_io.pacing import SharedPace
from storage import Database
from storage.pace import PaceRow
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
async def test_the_row_is_made_again_when_lost(database: Database) -> None:
    row = PaceRow(database)
    await row.reserve(SPACING)
    async with database.transaction() as tx:
        await tx.execute("DELETE FROM global_pace")
    assert await row.reserve(SPACING) <= 0  # a fresh row: the first turn is now
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
