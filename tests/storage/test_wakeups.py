"""Wake-up hints (storage/wakeups.py): a hint sent by one process reaches the listeners of
another on PostgreSQL, stays in the process on SQLite, and a listening connection the server
drops is opened again, waking every listener once for whatever was hinted meanwhile."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import Database
from storage import wakeups as wakeups_module
from storage.wakeups import Topic, Wakeups
from tests.fixtures.engines import on_both_engines, on_postgres

# The listening connection's last statement is asyncpg's LISTEN: how the test finds it.
LISTENING_BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND query LIKE 'LISTEN %newsdesk_%' AND pid <> pg_backend_pid()"
)


class Woken:
    """Counts the wakes of each topic and lets a test wait for the next one."""

    def __init__(self) -> None:
        self.counts: Counter[Topic] = Counter()
        self._changed = asyncio.Event()

    def callback(self, topic: Topic) -> Callable[[], None]:
        return functools.partial(self.record, topic)

    def record(self, topic: Topic) -> None:
        self.counts[topic] += 1
        self._changed.set()

    async def until(self, topic: Topic, count: int) -> None:
        async with asyncio.timeout(20):
            while self.counts[topic] < count:
                self._changed.clear()
                await self._changed.wait()


@on_both_engines
async def test_a_hint_wakes_the_listeners_of_its_topic_only(database: Database) -> None:
    wakeups, woken = Wakeups(database), Woken()
    for topic in (Topic.POSTS_READY, Topic.ARTICLES_READ):
        wakeups.listen(topic, woken.callback(topic))
    await wakeups.start()
    try:
        if wakeups.shared:  # the first wake after listening starts is everyone's
            await woken.until(Topic.ARTICLES_READ, 1)
        before = Counter(woken.counts)
        await wakeups.hint(Topic.POSTS_READY)
        await woken.until(Topic.POSTS_READY, before[Topic.POSTS_READY] + 1)
        await asyncio.sleep(0.2)
        assert woken.counts[Topic.ARTICLES_READ] == before[Topic.ARTICLES_READ]
    finally:
        await wakeups.close()


@on_postgres
async def test_a_hint_crosses_processes_and_survives_a_dropped_listening_connection(
    database: Database, second_process: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wakeups_module, "RECONNECT_SECONDS", 0.05)
    listener, sender, woken = Wakeups(database), Wakeups(second_process), Woken()
    listener.listen(Topic.POSTS_READY, woken.callback(Topic.POSTS_READY))
    await listener.start()
    try:
        await woken.until(Topic.POSTS_READY, 1)  # listening: everyone woken once
        await sender.hint(Topic.POSTS_READY)
        await woken.until(Topic.POSTS_READY, 2)

        (backend,) = await database.fetch_all(LISTENING_BACKENDS)
        await database.fetch_one("SELECT pg_terminate_backend(?)", (backend[0],))
        # Listening again wakes everyone once (a hint may have been missed meanwhile) ...
        await woken.until(Topic.POSTS_READY, 3)
        # ... and hints from the other process arrive on the new connection.
        await sender.hint(Topic.POSTS_READY)
        await woken.until(Topic.POSTS_READY, 4)
        (new_backend,) = await database.fetch_all(LISTENING_BACKENDS)
        assert new_backend[0] != backend[0]
    finally:
        await listener.close()
    assert await database.fetch_all(LISTENING_BACKENDS) == [], "close left the connection"


@on_postgres
async def test_a_hint_that_cannot_be_sent_is_logged_not_raised(
    database_target: Path | str, caplog: pytest.LogCaptureFixture
) -> None:
    closed = await Database.open(database_target)
    await closed.close()
    await Wakeups(closed).hint(Topic.FEEDS_CHANGED)
    assert "wake-up hint not sent topic=newsdesk_feeds_changed" in caplog.text
