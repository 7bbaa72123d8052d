"""Sending wake-up hints from code that only calls back (``Callable[[], None]``).

Rule: the callers already call once per batch of work (DESIGN.md §8: one ``NOTIFY`` per
batch, never per row); a hint asked for while the same topic's is still being sent is
folded into it. ``flush`` waits for what is being sent, before the database closes.
"""

from __future__ import annotations

import asyncio

from storage.wakeups import Topic, Wakeups


class HintSender:
    """Sends each topic's hint in a task of its own, one at a time per topic."""

    def __init__(self, wakeups: Wakeups) -> None:
        self._wakeups = wakeups
        self._sending: dict[Topic, asyncio.Task[None]] = {}
        self._again: set[Topic] = set()
        self.sent: dict[Topic, int] = {}

    def hint(self, topic: Topic) -> None:
        """Hint ``topic`` now (or right after the hint of it being sent)."""
        if topic in self._sending:
            self._again.add(topic)
            return
        self._sending[topic] = asyncio.create_task(self._send(topic))

    async def _send(self, topic: Topic) -> None:
        try:
            while True:
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
