"""Roles: the parts of Newsdesk one process can run (DESIGN.md §8).

``all`` is today's single process (SQLite or PostgreSQL). Past one machine each part runs in
processes of its own over one PostgreSQL database:

- ``gateway``  ×K  the Discord gateway (a range of shards): slash commands, buttons, replies;
- ``poller``   ×N  claims due feeds, fetches and parses them, stores new articles;
- ``reader``   ×M  claims unread articles, fetches and reads their pages;
- ``desk``     ×1  (leader + standby) stories, follows, filters, digests; releases posts;
- ``deliverer`` ×1 (leader + standby) sends the outbox in each channel's order, paced.

Rules:
- Each role is a module here with ``async def serve(context: RoleContext) -> None`` that runs
  until ``context.stop`` is set (SIGTERM/SIGINT) and closes what it opened.
- Every role but ``all`` refuses SQLite with a sentence: the roles share their work through
  the database's row locks, leases and ``LISTEN``/``NOTIFY``, which SQLite does not have
  across processes.
- What every role opens (the database, its repositories, the wake-up hints) is opened here,
  once, and closed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.app.settings import Settings
from bot.core.errors import InvalidInput
from storage import Database, Repositories
from storage.database import printable
from storage.wakeups import Wakeups

log = logging.getLogger(__name__)

ROLES = ("all", "gateway", "poller", "reader", "desk", "deliverer")
DISTRIBUTED_ROLES = ROLES[1:]


def process_name() -> str:
    """Return this process's name in lease rows (leaders, host buckets, reading claims): host,
    pid and a random part, so a restarted process with the same pid is someone new."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stop`` is set; return whether it was set."""
    # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancel that lands in
    # the same turn as the stop (see WakeLoop in bot/pipeline/timings.py).
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
    return stop.is_set()


def needs_postgres(role: str) -> str:
    """Return the sentence that refuses ``role`` on SQLite."""
    return (
        f"The {role} role shares its work with other processes through PostgreSQL: set "
        "NEWSDESK_DB to a postgresql:// address, or run everything in one process with "
        "`newsdesk run` (role all)."
    )


@dataclass(frozen=True)
class ShardPlan:
    """Which gateway shards this process runs, out of how many (``None``: one process runs
    every shard Discord recommends)."""

    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None

    @classmethod
    def chosen(cls, settings: Settings, shards: str | None, shard_count: int | None) -> ShardPlan:
        """The plan of the command line's flags, else of the settings (flag by flag).

        Raises:
            InvalidInput: as ``parse``.
        """
        return cls.parse(
            shards if shards is not None else settings.shards,
            shard_count if shard_count is not None else settings.shard_count,
        )

    def client_options(self) -> dict[str, Any]:
        """The discord.py options that pick these shards (none: Discord's recommendation)."""
        options: dict[str, Any] = {}
        if self.shard_count is not None:
            options["shard_count"] = self.shard_count
        if self.shard_ids is not None:
            options["shard_ids"] = list(self.shard_ids)
        return options

    @classmethod
    def parse(cls, shards: str | None, shard_count: int | None) -> ShardPlan:
        """Read ``--shards 0-15`` (or ``0,2,4``) and ``--shard-count N`` (or the same from
        ``NEWSDESK_SHARDS`` and ``NEWSDESK_SHARD_COUNT``).

        Raises:
            InvalidInput: the range cannot be read, or a shard is outside the count.
        """
        if shards is None:
            if shard_count is not None and shard_count < 1:
                raise InvalidInput("--shard-count must be at least 1.")
            return cls(None, shard_count)
        if shard_count is None:
            raise InvalidInput(
                "--shards (NEWSDESK_SHARDS) needs --shard-count (NEWSDESK_SHARD_COUNT): every "
                "gateway process must agree on the total."
            )
        ids: list[int] = []
        try:
            for part in shards.split(","):
                first, _, last = part.strip().partition("-")
                start = int(first)
                end = int(last) if last else start
                if end < start:
                    raise ValueError(part)
                ids.extend(range(start, end + 1))
        except ValueError:
            raise InvalidInput(
                f"--shards takes a range like 0-15 or a list like 0,2,4, not {shards!r}."
            ) from None
        outside = [shard for shard in ids if not 0 <= shard < shard_count]
        if outside:
            raise InvalidInput(
                f"Shard {outside[0]} is outside --shard-count {shard_count}: shards are "
                f"numbered 0 to {shard_count - 1}."
            )
        return cls(tuple(sorted(set(ids))), shard_count)


@dataclass
class RoleContext:
    """What every role is given: settings, the shared database and the stop signal."""

    role: str
    settings: Settings
    database: Database
    repositories: Repositories
    wakeups: Wakeups
    shards: ShardPlan = field(default_factory=ShardPlan)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


def check_role(role: str, settings: Settings) -> None:
    """Refuse a role this configuration cannot run.

    Raises:
        InvalidInput: the role is unknown, or needs PostgreSQL and the database is SQLite.
    """
    if role not in ROLES:
        raise InvalidInput(f"There is no role {role!r}: choose one of {', '.join(ROLES)}.")
    if role in DISTRIBUTED_ROLES and settings.database_url is None:
        raise InvalidInput(needs_postgres(role))


async def serve_role(role: str, settings: Settings, shards: ShardPlan) -> None:
    """Open the database, run ``role`` until SIGTERM/SIGINT, and close everything."""
    check_role(role, settings)
    module = importlib.import_module(f"bot.app.roles.{role}_role")
    database = await Database.open(settings.database)
    wakeups = Wakeups(database)
    context = RoleContext(
        role, settings, database, Repositories.over(database), wakeups, shards
    )
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(stop_signal, context.stop.set)
    log.info("starting role=%s database=%s", role, printable(settings.database))
    try:
        await module.serve(context)
    finally:
        await wakeups.close()
        await database.close()
        log.info("stopped role=%s", role)
