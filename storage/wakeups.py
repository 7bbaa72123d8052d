"""Wake-up hints between processes: ``NOTIFY`` once per batch, ``LISTEN`` in the waiting role.

Rules:
- A hint is only a hint. Every loop that listens also wakes by itself every few seconds
  (``WakeLoop``), so a hint lost to a dropped connection or a restart delays work, never
  loses it.
- Send one hint per batch of work, never one per row: a ``NOTIFY`` per transaction costs
  PostgreSQL about 40 % of its commit throughput (DESIGN.md §8).
- On SQLite (one process, role ``all``) hints are plain in-process callbacks.
- Topics are fixed names (``Topic``), never text from a tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum

from storage.database import Database

log = logging.getLogger(__name__)

# How long to wait before opening the listening connection again after it was lost.
RECONNECT_SECONDS = 2.0


class Topic(StrEnum):
    """What a hint says has happened (the ``LISTEN`` channel names)."""

    ARTICLES_QUEUED = "newsdesk_articles_queued"
    """A poller stored new articles: readers have work."""
    ARTICLES_READ = "newsdesk_articles_read"
    """A reader stored readings: the story desk has work."""
    POSTS_READY = "newsdesk_posts_ready"
    """Outbox rows or notices became sendable: the deliverer has work."""
    FEEDS_CHANGED = "newsdesk_feeds_changed"
    """A command added or re-enabled feeds: pollers should look for due feeds."""
    POLLERS_CHANGED = "newsdesk_pollers_changed"
    """A poller joined, left or freed host buckets: pollers should rebalance their buckets."""


class Wakeups:
    """Send hints and call back the listeners of a topic, in this process or in any."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._listeners: dict[Topic, list[Callable[[], None]]] = defaultdict(list)
        self._keeper: asyncio.Task[None] | None = None

    @property
    def shared(self) -> bool:
        """Whether hints cross processes (PostgreSQL) rather than staying in this one."""
        return self._database.dialect.is_postgres

    async def hint(self, topic: Topic) -> None:
        """Tell every listener of ``topic``, here and in other processes, that work is ready.

        Never raises: a lost hint only waits for the listeners' next idle wake.
        """
        if not self.shared:
            self._call(topic)
            return
        try:
            await self._database.fetch_one("SELECT pg_notify(?, '')", (topic.value,))
        except Exception:
            log.warning("wake-up hint not sent topic=%s", topic.value, exc_info=True)

    def listen(self, topic: Topic, callback: Callable[[], None]) -> None:
        """Call ``callback`` (a cheap, synchronous wake) whenever ``topic`` is hinted.

        On PostgreSQL the first listener opens the listening connection (``start``).
        """
        self._listeners[topic].append(callback)

    async def start(self) -> None:
        """Begin listening on PostgreSQL (nothing to do on SQLite); keeps reconnecting."""
        if self.shared and self._keeper is None:
            self._keeper = asyncio.create_task(self._keep_listening(), name="newsdesk-wakeups")

    async def close(self) -> None:
        """Stop listening and close the listening connection."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None

    def _call(self, topic: Topic) -> None:
        for callback in self._listeners.get(topic, ()):
            try:
                callback()
            except Exception:
                log.exception("wake-up listener crashed topic=%s", topic.value)

    def _on_notification(self, _connection: object, _pid: int, channel: str, _payload: str) -> None:
        try:
            topic = Topic(channel)
        except ValueError:
            return
        self._call(topic)

    async def _keep_listening(self) -> None:
        while True:
            connection = None
            try:
                connection = await self._database.connect_alone()
                closed = asyncio.Event()
                connection.add_termination_listener(lambda _connection, ended=closed: ended.set())
                for topic in self._listeners:
                    await connection.add_listener(topic.value, self._on_notification)
                # Whatever was hinted while not listening: wake everyone once.
                for topic in list(self._listeners):
                    self._call(topic)
                await closed.wait()
                log.warning("wake-up connection closed; listening again")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("wake-up connection failed; retrying", exc_info=True)
            finally:
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()
            await asyncio.sleep(RECONNECT_SECONDS)
