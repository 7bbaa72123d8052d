"""The worker pool: jobs run in other processes; one past its deadline is killed, alone."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.errors import FeedParseError
from bot.pipeline.worker_pool import (
    WORKER_MEMORY_BYTES,
    JobTimedOut,
    PoolClosed,
    WorkerCrashed,
    WorkerPool,
)
from tests.waiting import eventually


def raise_feed_error(message: str) -> None:
    raise FeedParseError(message)


def sleep_after_saying_so(path: str) -> None:
    """A job that never ends, which says (by creating ``path``) that it has started."""
    Path(path).touch()
    time.sleep(3600)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child the pool joined is gone; a zombie would still answer, so look closer.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    running = WorkerPool(2, 30.0)
    try:
        yield running
    finally:
        await running.close()


async def test_a_job_runs_in_another_process(pool: WorkerPool) -> None:
    assert pool.started_pids == []  # nothing starts before the first job
    worker_pid = await pool.run(os.getpid)
    assert worker_pid != os.getpid()
    assert pool.started_pids == [worker_pid]


async def test_a_job_past_its_deadline_is_killed_and_the_next_job_gets_a_fresh_worker(
    pool: WorkerPool,
) -> None:
    first = await pool.run(os.getpid)
    with pytest.raises(JobTimedOut) as slow:
        await pool.run(time.sleep, 3600, deadline_seconds=0.5)
    assert str(slow.value) == "took longer than 0.5 s"
    assert not alive(first)  # the sleeping worker was the idle one: killed
    replacement = await pool.run(os.getpid)
    assert replacement not in (first, os.getpid())
    assert alive(replacement)


async def test_a_slow_job_does_not_disturb_a_job_on_the_other_worker(pool: WorkerPool) -> None:
    slow = asyncio.create_task(pool.run(time.sleep, 3600, deadline_seconds=5.0))
    quick = [await pool.run(os.getpid) for _ in range(3)]
    assert not slow.done()
    assert len(set(quick)) == 1  # the one free worker answered each time
    with pytest.raises(JobTimedOut):
        await slow


async def test_a_job_that_kills_its_worker_fails_and_the_pool_goes_on(pool: WorkerPool) -> None:
    with pytest.raises(WorkerCrashed) as crashed:
        await pool.run(os._exit, 3)
    assert crashed.value.exit_code == 3
    assert await pool.run(sum, [1, 2, 3]) == 6


async def test_the_job_s_own_errors_reach_the_caller(pool: WorkerPool) -> None:
    with pytest.raises(FeedParseError) as refused:
        await pool.run(raise_feed_error, "That feed is broken.")
    assert refused.value.message == "That feed is broken."
    assert await pool.run(int, "7") == 7  # the worker survived its job's exception


async def test_a_cancelled_caller_takes_its_worker_with_it(
    pool: WorkerPool, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    busy = asyncio.create_task(pool.run(sleep_after_saying_so, str(started)))
    await eventually(started.exists, message="the job never started")
    pid = await pool.run(os.getpid)  # the other worker
    busy.cancel()
    with pytest.raises(asyncio.CancelledError):
        await busy
    assert pool.started_pids == [pid]


async def test_close_kills_every_worker_and_refuses_jobs(tmp_path: Path) -> None:
    pool = WorkerPool(2, 30.0)
    started = tmp_path / "started"
    sleeping = asyncio.create_task(pool.run(sleep_after_saying_so, str(started)))
    await eventually(started.exists, message="the job never started")
    idle = await pool.run(os.getpid)
    busy = [pid for pid in pool.started_pids if pid != idle]
    assert len(busy) == 1
    await pool.close()
    with pytest.raises(PoolClosed):
        await sleeping
    assert not alive(idle) and not alive(busy[0])
    with pytest.raises(PoolClosed):
        await pool.run(os.getpid)


async def test_a_share_leaves_the_other_workers_to_everyone_else(
    pool: WorkerPool, tmp_path: Path
) -> None:
    members = pool.share(pool.size - 1)
    # Five members' jobs that never end: one holds a worker, four wait in the share.
    started = [tmp_path / f"started-{n}" for n in range(5)]
    stuck = [
        asyncio.create_task(members.run(sleep_after_saying_so, str(path))) for path in started
    ]
    try:
        await eventually(lambda: sum(path.exists() for path in started) == 1)
        # The reader's job still finds a worker, as often as it needs one.
        for _ in range(3):
            assert await asyncio.wait_for(pool.run(os.getpid), 60) in pool.started_pids
        assert sum(path.exists() for path in started) == 1
    finally:
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)


async def test_a_job_that_needs_more_than_a_worker_s_memory_fails_and_its_worker_goes(
    pool: WorkerPool,
) -> None:
    first = await pool.run(os.getpid)
    with pytest.raises(MemoryError):
        await pool.run(bytearray, 2 * WORKER_MEMORY_BYTES)
    replacement = await pool.run(os.getpid)
    assert replacement != first
    assert await pool.run(len, bytearray(10)) == 10
