"""Sending wake-up hints from code that only calls back (``Callable[[], None]``).

Rule: one ``NOTIFY`` per batch of work, never per row (DESIGN.md §8). Callers that already
call once per batch send at once; a caller that calls once per item (the poller, once per
feed that stored articles) gives a ``window_seconds``: everything asked for within the window
goes as one hint at its end. A hint asked for while the same topic's is still being sent is
folded into it. ``flush`` waits for what is being sent, before the database closes.
"""

from __future__ import annotations

import asyncio

from storage.wakeups import Topic, Wakeups


class HintSender:
    """Sends each topic's hint in a task of its own, one at a time per topic."""

    def __init__(self, wakeups: Wakeups, *, window_seconds: float = 0.0) -> None:
        self._wakeups = wakeups
        self._window_seconds = window_seconds
        self._sending: dict[Topic, asyncio.Task[None]] = {}
        self._again: set[Topic] = set()
        self.sent: dict[Topic, int] = {}

    def hint(self, topic: Topic) -> None:
        """Hint ``topic`` now, or at the end of the window (or right after the hint of it
        being sent)."""
        if topic in self._sending:
            self._again.add(topic)
            return
        self._sending[topic] = asyncio.create_task(self._send(topic))

    async def _send(self, topic: Topic) -> None:
        try:
            while True:
                if self._window_seconds > 0:
                    await asyncio.sleep(self._window_seconds)
                self._again.discard(topic)
                await self._wakeups.hint(topic)  # never raises: a lost hint waits for idle
                self.sent[topic] = self.sent.get(topic, 0) + 1
                if topic not in self._again:
                    return
        finally:
            del self._sending[topic]

    async def flush(self) -> None:
        """Wait for the hints being sent."""
        sending = list(self._sending.values())
        if sending:
            await asyncio.gather(*sending, return_exceptions=True)
