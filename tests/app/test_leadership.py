"""Leadership over PostgreSQL: one leader at a time, takeover after a kill -9, stale writes
fenced by the epoch, and a leader that cannot renew stops its work."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.app.roles.leadership import Leadership
from bot.core.errors import LeadershipLost
from storage import Database
from storage.leases import Fence, check_fence, current_leases
from tests.fixtures.engines import on_postgres
from tests.waiting import eventually

pytestmark = on_postgres

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1.5


class Contender:
    """A ``Leadership`` running in a task, recording the epochs of its terms."""

    def __init__(self, database: Database, role: str = "desk") -> None:
        self.leadership = Leadership(
            database, role, lease_seconds=LEASE_SECONDS, renew_seconds=0.25, safety_seconds=0.5
        )
        self.epochs: list[int] = []
        self.cancelled = 0
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _work(self, fence: Fence) -> None:
        self.epochs.append(fence.epoch)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    def start(self) -> Contender:
        self.task = asyncio.create_task(self.leadership.lead(self._work, self.stop))
        return self

    async def finish(self) -> None:
        self.stop.set()
        if self.task is not None:
            await self.task


@pytest.fixture
async def contenders(database: Database) -> AsyncIterator[list[Contender]]:
    made: list[Contender] = []
    yield made
    for contender in made:
        await contender.finish()


async def test_one_of_two_contenders_leads_and_the_other_takes_over_on_a_clean_stop(
    database: Database, contenders: list[Contender]
) -> None:
    first = Contender(database).start()
    contenders.append(first)
    await eventually(lambda: first.epochs)
    second = Contender(database).start()
    contenders.append(second)
    await asyncio.sleep(0.5)  # several standby polls: it must not lead beside the first
    assert not second.leadership.leading.is_set()
    await first.finish()
    await eventually(lambda: second.epochs)
    assert first.epochs == [1]
    assert first.cancelled == 1
    assert second.epochs == [2]


async def test_a_killed_leader_is_replaced_once_its_lease_runs_out(
    database: Database, database_target: str, contenders: list[Contender]
) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.app.leader_child", database_target, "deliverer",
        str(LEASE_SECONDS), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
    assert line.decode().split() == ["leading", "1"]
    standby = Contender(database, "deliverer").start()
    contenders.append(standby)
    await asyncio.sleep(0.5)
    assert not standby.leadership.leading.is_set()
    child.send_signal(signal.SIGKILL)
    await child.wait()
    await eventually(lambda: standby.epochs)
    assert standby.epochs == [2]


async def test_a_stale_leaders_write_is_refused_after_a_takeover(
    database: Database, contenders: list[Contender]
) -> None:
    first = Contender(database).start()
    contenders.append(first)
    await eventually(lambda: first.epochs)
    stale = Fence("desk", first.epochs[0])
    async with database.transaction() as tx:
        await check_fence(tx, stale)  # still current: passes
    await first.finish()
    second = Contender(database).start()
    contenders.append(second)
    await eventually(lambda: second.epochs)
    with pytest.raises(LeadershipLost):
        async with database.transaction() as tx:
            await check_fence(tx, stale)


async def test_a_leader_that_loses_its_connection_stops_its_work_and_stands_again(
    database: Database, database_target: str, contenders: list[Contender]
) -> None:
    leader = Contender(database).start()
    contenders.append(leader)
    await eventually(lambda: leader.epochs)
    admin = await asyncpg.connect(database_target)
    try:
        # The lease's connection is the one holding the advisory lock.
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    finally:
        await admin.close()
    assert killed == 1
    await eventually(lambda: leader.cancelled == 1)
    # Its own lease: it takes it back at once, under a new epoch.
    await eventually(lambda: len(leader.epochs) == 2)
    assert leader.epochs == [1, 2]


async def test_an_onlooker_reads_who_leads_each_role_and_under_which_epoch(
    database: Database, contenders: list[Contender]
) -> None:
    assert await current_leases(database) == []
    desk = Contender(database, "desk").start()
    deliverer = Contender(database, "deliverer").start()
    contenders += [desk, deliverer]
    await eventually(desk.leadership.leading.is_set)
    await eventually(deliverer.leadership.leading.is_set)
    leases = await current_leases(database)
    assert [(lease.name, lease.holder, lease.epoch) for lease in leases] == [
        ("deliverer", deliverer.leadership.holder, 1),
        ("desk", desk.leadership.holder, 1),
    ]
    assert all(0 < lease.seconds_left <= LEASE_SECONDS for lease in leases)
