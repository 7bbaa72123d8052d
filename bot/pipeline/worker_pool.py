"""Worker processes for tenant-sized CPU work (reading article pages, parsing feeds), each
job stopped at a deadline.

Rules:

- A thread cannot be stopped; a process can. So the work any server, member or feed can make
  large runs here, in ``size`` worker processes, and a job that has not answered within its
  deadline has its worker killed (SIGKILL) and raises ``JobTimedOut``; the next job gets a
  fresh worker, and jobs on the other workers never notice. A worker that dies during a job
  (out of memory, a crash in C) is replaced the same way and the job raises
  ``WorkerCrashed``. An exception raised by the job itself is raised again in the caller.
- Workers start on first use, not with the bot: the sandbox and tests that never read a page
  start no process. They are made by a ``forkserver`` (``spawn`` where there is none),
  never by ``fork``, which would copy the event loop's threads and locks into the child; the
  forkserver imports ``preload`` once, so a worker replacing a killed one starts in
  milliseconds, and a worker imports ``preload`` before it says it is ready, so a deadline
  never counts import time.
- The deadline counts from the moment a worker has the job, not the wait for a free one.
- The event loop never waits on a pipe: each worker is talked to from a thread of the pool's
  own (one per worker), and the loop awaits that thread.
- Each worker may use at most ``WORKER_MEMORY_BYTES`` (1 GiB) of address space: a job that
  needs more raises ``MemoryError`` in the caller, and its worker is replaced (a process that
  ran out of memory is not trusted with the next job).
- ``close`` kills every worker and waits for them; a closed pool refuses new jobs. Workers
  are daemons, so even a pool never closed leaves no process behind at exit.
- ``share(limit)`` is a lane of the pool for one kind of caller: at most ``limit`` of its
  jobs hold workers at once, so what members ask on demand (``/summarize``) can never take
  every worker from the reader and the feed parser.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Protocol, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a new worker may take to import ``preload`` before the pool gives up on it.
START_TIMEOUT_SECONDS = 120.0
# A worker's address space: a warm reading worker takes about 210 MB of it.
WORKER_MEMORY_BYTES = 1 << 30


class JobTimedOut(Exception):
    """A job ran past its deadline; its worker was killed."""

    def __init__(self, deadline_seconds: float) -> None:
        super().__init__(deadline_seconds)
        self.deadline_seconds = deadline_seconds

    def __str__(self) -> str:
        return f"took longer than {self.deadline_seconds:g} s"


class WorkerCrashed(Exception):
    """A worker process died during a job (killed, out of memory, a crash in C)."""

    def __init__(self, exit_code: int | None) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"its worker process stopped (exit code {self.exit_code})"


class Jobs(Protocol):
    """Something that runs a job in a worker: a ``WorkerPool`` or a ``PoolShare`` of one."""

    async def run(
        self, function: Callable[..., T], *args: object, deadline_seconds: float | None = None
    ) -> T:
        """Run ``function(*args)`` in a worker and return its result."""
        ...


class PoolClosed(RuntimeError):
    """The pool was closed: the bot is shutting down."""


def _limit_memory(limit: int) -> None:
    try:
        import resource  # noqa: PLC0415 - POSIX only

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        log.warning("worker memory not limited limit=%d", limit)


def _serve(connection: Connection, preload: Sequence[str], memory_limit: int) -> None:
    """A worker's life: import ``preload``, say ready, then answer jobs until the pipe closes
    (or until a job ran out of memory)."""
    # Ctrl-C in a terminal reaches the whole process group: the bot decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(memory_limit)
    for module in preload:
        importlib.import_module(module)
    connection.send(("ready", os.getpid()))
    while True:
        try:
            function, args = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, object] = ("ok", function(*args))
        except BaseException as error:  # noqa: BLE001 - every failure goes back to the caller
            answer = ("error", error)
        try:
            connection.send(answer)
        except Exception as unsendable:  # noqa: BLE001 - e.g. an exception that cannot pickle
            connection.send(("error", RuntimeError(f"{answer[1]!r} ({unsendable!r})")))
        if isinstance(answer[1], MemoryError):
            return


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    connection: Connection

    def call(self, function: Callable[..., object], args: tuple[object, ...]) -> tuple[str, object]:
        """Send one job and wait for its answer (in a pool thread, never on the loop)."""
        self.connection.send((function, args))
        return cast("tuple[str, object]", self.connection.recv())

    def kill(self) -> None:
        """Stop the process at once and wait for it (a killed process exits immediately)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)


def _kill_all(workers: Sequence[_Worker], idle: Sequence[_Worker]) -> None:
    for worker in workers:
        worker.kill()
    for worker in idle:  # a busy worker's pipe is closed by its job, once its thread lets go
        worker.connection.close()


def _context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class WorkerPool:
    """``size`` worker processes running picklable functions, each job within a deadline."""

    def __init__(
        self,
        size: int,
        deadline_seconds: float,
        *,
        preload: Sequence[str] = (),
        memory_limit_bytes: int = WORKER_MEMORY_BYTES,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.deadline_seconds = deadline_seconds
        self._preload = tuple(preload)
        self._memory_limit = memory_limit_bytes
        self._context = _context()
        if self._preload and self._context.get_start_method() == "forkserver":
            # Only heeded before the forkserver starts (once per bot process), which is when
            # it matters: every worker after that is forked from it, modules already loaded.
            self._context.set_forkserver_preload(list(self._preload))
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="worker-pool")
        self._slots: asyncio.Semaphore | None = None
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def share(self, limit: int) -> PoolShare:
        """A lane of this pool whose jobs hold at most ``limit`` workers at once."""
        return PoolShare(self, limit)

    @property
    def started_pids(self) -> list[int]:
        """The process ids of the workers alive now (for tests and the bench)."""
        return [worker.process.pid for worker in self._all if worker.process.pid is not None]

    async def warm_up(self) -> None:
        """Start every worker now rather than on the first jobs (a process about to take
        work in bulk, like a poller, so its first batch waits for no imports)."""
        await asyncio.gather(*(self.run(os.getpid) for _ in range(self.size)))

    async def run(
        self,
        function: Callable[..., T],
        *args: object,
        deadline_seconds: float | None = None,
    ) -> T:
        """Run ``function(*args)`` in a worker and return its result.

        Raises:
            JobTimedOut: it ran past ``deadline_seconds`` (default: the pool's); its worker
                was killed and will be replaced.
            WorkerCrashed: its worker died during the job.
            PoolClosed: the pool is closed.
            Exception: whatever ``function`` raised.
        """
        deadline = self.deadline_seconds if deadline_seconds is None else deadline_seconds
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        async with self._slots:
            worker = await self._take()
            loop = asyncio.get_running_loop()
            job: asyncio.Future[tuple[str, object]] = loop.run_in_executor(
                self._threads, worker.call, function, args
            )
            finished = False
            try:
                done, _ = await asyncio.wait({job}, timeout=deadline)
                finished = bool(done)
            finally:
                if not finished:
                    # Timed out, or the caller was cancelled: either way the worker is still
                    # busy with a job nobody waits for, so it goes.
                    await self._discard(worker, job)
            if not finished:
                raise JobTimedOut(deadline)
            try:
                kind, value = job.result()
            except (EOFError, OSError):
                await self._discard(worker, job)
                if self._closed:
                    raise PoolClosed("The worker pool is closed.") from None
                raise WorkerCrashed(worker.process.exitcode) from None
            if kind == "error" and isinstance(value, MemoryError):
                await self._discard(worker, None)  # it exits after saying so
            else:
                self._idle.append(worker)
        if kind == "error":
            raise cast(BaseException, value)
        return cast(T, value)

    async def _take(self) -> _Worker:
        if self._closed:
            raise PoolClosed("The worker pool is closed.")
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            await self._discard(worker, None)
        starting = asyncio.get_running_loop().run_in_executor(self._threads, self._start)
        try:
            worker = await asyncio.shield(starting)
        except asyncio.CancelledError:
            # The caller gave up; the worker still starts, and waits for the next job.
            starting.add_done_callback(self._adopt)
            raise
        except WorkerCrashed:
            if self.closed:  # killed by close while it started
                raise PoolClosed("The worker pool is closed.") from None
            raise
        if self.closed:  # while the worker started
            await self._discard(worker, None)
            raise PoolClosed("The worker pool is closed.")
        return worker

    def _adopt(self, starting: asyncio.Future[_Worker]) -> None:
        """Keep a worker whose caller left while it started (or stop it, once closed)."""
        if starting.cancelled() or starting.exception() is not None:
            return
        worker = starting.result()
        if self.closed:
            worker.kill()
            worker.connection.close()
        else:
            self._idle.append(worker)

    def _start(self) -> _Worker:
        """Start one worker and wait until it has imported ``preload`` (in a pool thread)."""
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child_end, self._preload, self._memory_limit),
            name="newsdesk-worker", daemon=True,
        )
        process.start()
        child_end.close()  # so the parent reads EOF the moment the child dies
        worker = _Worker(process, parent_end)
        self._all.add(worker)
        if not parent_end.poll(START_TIMEOUT_SECONDS):
            worker.kill()
            parent_end.close()
            self._all.discard(worker)
            raise WorkerCrashed(process.exitcode)
        try:
            parent_end.recv()
        except (EOFError, OSError):
            worker.kill()
            parent_end.close()
            self._all.discard(worker)
            raise WorkerCrashed(process.exitcode) from None
        log.debug("worker started pid=%s", process.pid)
        return worker

    async def _discard(
        self, worker: _Worker, job: asyncio.Future[tuple[str, object]] | None
    ) -> None:
        """Kill a worker and wait, off the loop, until its thread has let go of it."""
        self._all.discard(worker)
        loop = asyncio.get_running_loop()
        await asyncio.shield(loop.run_in_executor(None, worker.kill))
        if job is not None:
            # The thread sees EOF once the process is gone; its answer no longer matters.
            with contextlib.suppress(BaseException):
                await asyncio.shield(job)
        # Closed only now: no thread is reading it any more.
        worker.connection.close()

    async def close(self) -> None:
        """Kill every worker and refuse new jobs."""
        self._closed = True
        workers, idle = list(self._all), list(self._idle)
        self._all.clear()
        self._idle.clear()
        if workers:
            await asyncio.get_running_loop().run_in_executor(None, _kill_all, workers, idle)
        self._threads.shutdown(wait=False, cancel_futures=True)


class PoolShare:
    """A lane of a ``WorkerPool``: its jobs hold at most ``limit`` of the pool's workers at
    once, and wait in the lane (not in the pool's queue) for more."""

    def __init__(self, pool: WorkerPool, limit: int) -> None:
        self.pool = pool
        self.limit = max(1, limit)
        self._slots: asyncio.Semaphore | None = None

    async def run(
        self, function: Callable[..., T], *args: object, deadline_seconds: float | None = None
    ) -> T:
        """Run ``function(*args)`` in one of the pool's workers, within the lane's limit.

        Raises: as ``WorkerPool.run``.
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            return await self.pool.run(function, *args, deadline_seconds=deadline_seconds)
