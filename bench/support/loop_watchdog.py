"""Catch event-loop stalls in a benchmark process, with the stack that caused them.

Rules:

- The loop stamps a heartbeat every ``TICK`` seconds; a daemon thread checks it. When the
  heartbeat is older than ``threshold`` the thread records the loop thread's stack (once per
  stall, then again if the stall moves somewhere else) and, when the loop comes back, how
  long the stall lasted.
- It is for benches only: it costs a wake-up every ``TICK`` and a thread that holds the GIL
  briefly every ``TICK``. Stalls are written as log lines ``loop stall`` with the duration
  and the stack, so a soak's logs say what blocked the loop.
- Full garbage collections that take longer than ``threshold / 2`` are logged too (``slow
  gc``): they stop every thread, the watchdog's included, so they show up as stalls whose
  stack is wherever the collection happened to start.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger("bench.loop_watchdog")

TICK = 0.05


class LoopWatchdog:
    """Records stalls of the running loop longer than ``threshold`` seconds."""

    def __init__(self, threshold: float = 0.25) -> None:
        self.threshold = threshold
        self.stalls: list[float] = []
        self._beat = time.monotonic()
        self._loop_thread = threading.get_ident()
        self._stopped = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._gc_started = 0.0

    def start(self) -> None:
        """Start beating on the running loop and watching from a thread."""
        self._loop_thread = threading.get_ident()
        self._task = asyncio.get_running_loop().create_task(self._beat_forever())
        threading.Thread(target=self._watch, name="loop-watchdog", daemon=True).start()
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._gc_started = time.monotonic()
            return
        took = time.monotonic() - self._gc_started
        if took >= self.threshold / 2:
            log.warning("slow gc: full collection took %.3f s (%d collected)",
                        took, info.get("collected", 0))

    def stop(self) -> None:
        self._stopped.set()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()

    async def _beat_forever(self) -> None:
        while True:
            before = time.monotonic()
            self._beat = before
            await asyncio.sleep(TICK)
            late = time.monotonic() - before - TICK
            if late >= self.threshold:
                self.stalls.append(late)
                log.warning("loop stall ended after %.3f s", late)

    def _watch(self) -> None:
        reported: str | None = None
        while not self._stopped.wait(TICK):
            behind = time.monotonic() - self._beat
            if behind < self.threshold:
                reported = None
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            stack = "".join(traceback.format_stack(frame, limit=14))
            where = stack.splitlines()[-2] if stack else ""
            if where != reported:
                reported = where
                log.warning("loop stall %.3f s so far, loop thread at:\n%s", behind, stack)
