"""How a command tells the pipeline it queued work: in this process, or through hints.

Rules:
- A command that queues posts (``/feed add`` with a backfill, ``/feed refresh``) calls
  ``posts_queued``; one that adds or brings back feeds calls ``feeds_changed``. Neither waits
  for the work, and neither raises: a lost signal only waits for the loops' next idle wake.
- One process (role ``all``) wakes its own reader and deliverer; the poll tick finds new
  feeds by itself. A gateway process runs no pipeline: it sends wake-up hints
  (``storage.wakeups``) to the processes that do.
"""

from __future__ import annotations

from typing import Protocol

from bot.pipeline.deliver.deliverer import Deliverer
from bot.pipeline.read.reader import ArticleReader
from storage.wakeups import Topic, Wakeups


class WorkSignals(Protocol):
    """What commands call when they queued work for the pipeline."""

    async def posts_queued(self) -> None:
        """Posts were queued: their articles need reading, then delivery."""

    async def feeds_changed(self) -> None:
        """Feeds were added or brought back: the pollers should look for due feeds."""


class InProcessWork:
    """The pipeline runs in this process: wake its reader and deliverer directly."""

    def __init__(self, reader: ArticleReader, deliverer: Deliverer) -> None:
        self._reader = reader
        self._deliverer = deliverer

    def wake(self) -> None:
        """Wake the reader and the deliverer (for callers that cannot await)."""
        self._reader.wake()
        self._deliverer.wake()

    async def posts_queued(self) -> None:
        """Wake the reader and the deliverer."""
        self.wake()

    async def feeds_changed(self) -> None:
        """Nothing to do: the poll tick looks for due feeds every few seconds."""


class HintedWork:
    """The pipeline runs in other processes: hint them over the shared database."""

    def __init__(self, wakeups: Wakeups) -> None:
        self._wakeups = wakeups

    async def posts_queued(self) -> None:
        """Hint the readers (articles to read) and the deliverer (posts to send)."""
        await self._wakeups.hint(Topic.ARTICLES_QUEUED)
        await self._wakeups.hint(Topic.POSTS_READY)

    async def feeds_changed(self) -> None:
        """Hint the pollers."""
        await self._wakeups.hint(Topic.FEEDS_CHANGED)
