"""Settings, read once from the environment (and an optional ``.env`` file) and passed in.

Rules: the process environment wins over ``.env``; secrets (the bot token) come only from
these two places and are never logged; every setting has a documented default in README.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from dotenv import dotenv_values

from bot.core.errors import InvalidInput
from storage.database import is_postgres_address


def default_database_path() -> Path:
    """Return the per-user default location of the SQLite database."""
    return Path(platformdirs.user_data_dir("newsdesk", appauthor=False)) / "newsdesk.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Everything an operator can configure, with the defaults a real deployment wants."""

    discord_token: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    database_path: Path = field(default_factory=default_database_path)
    # A postgresql:// address (NEWSDESK_DB) used instead of the SQLite file; it may hold a
    # password, so it is kept out of the repr like the token.
    database_url: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    contact: str = ""
    default_interval_seconds: int = 600
    min_interval_seconds: int = 120
    scheduler_tick_seconds: float = 30.0
    max_feeds_per_server: int = 100
    per_host_limit: int = 2
    allow_private_addresses: bool = False
    # Exact (host, port) pairs reachable despite the private-address guard; only the sandbox
    # sets them, to its own loopback servers (never read from the environment).
    allowed_private_origins: frozenset[tuple[str, int]] = frozenset()
    # Reading pages and parsing feeds: how many worker processes, and how long one job may
    # take before its worker is killed.
    read_workers: int = 2
    read_deadline_seconds: float = 20.0
    # The newest items of a feed document considered at each fetch; the rest are ignored.
    max_feed_items: int = 500
    # Reader processes (role reader): how long a reader's claim on an article lasts. A reader
    # killed while reading leaves the article to another once it has passed; keep it longer
    # than one fetch and one reading deadline.
    reading_lease_seconds: float = 120.0
    # One fetch's whole time budget, redirects included.
    fetch_timeout_seconds: float = 15.0
    # Polling claims (pollers ×N, and the one process of role all): how many due feeds one
    # claim takes, how long a claim holds its feeds (a check starts only in the first half),
    # and how long a poller's host buckets stay its own without renewal.
    poll_batch: int = 100
    poll_lease_seconds: float = 120.0
    poll_bucket_lease_seconds: float = 30.0
    # The gateway shards this process runs (like "0-15" or "0,2,4") out of how many; the
    # command line's --shards and --shard-count win. Unset: every shard Discord recommends.
    shards: str | None = None
    shard_count: int | None = None

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
    ) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``) over an optional ``.env``.

        Raises:
            InvalidInput: a setting has a value that cannot be used.
        """
        values: dict[str, str] = {}
        env_file = dotenv_path if dotenv_path is not None else Path(".env")
        if env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def text(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        def number(name: str, default: int, minimum: int = 0) -> int:
            raw = text(name)
            if raw is None:
                return default
            try:
                parsed = int(raw)
            except ValueError:
                raise InvalidInput(f"{name} must be a whole number, not {raw!r}.") from None
            if parsed < minimum:
                raise InvalidInput(f"{name} must be at least {minimum}, not {parsed}.")
            return parsed

        def flag(name: str) -> bool:
            return (text(name) or "").lower() in {"1", "true", "yes", "on"}

        database = text("NEWSDESK_DB")
        database_url = database if database and is_postgres_address(database) else None
        try:
            database_path = (
                Path(database).expanduser() if database and not database_url
                else default_database_path()
            )
        except RuntimeError:
            raise InvalidInput(
                f"NEWSDESK_DB names a home folder that does not exist ({database}): "
                "give a full path."
            ) from None
        # An unset variable keeps the field's default: the defaults are written once, above.
        return cls(
            discord_token=text("DISCORD_TOKEN"),
            dev_guild_id=number("DEV_GUILD_ID", 0) or None,
            database_path=database_path,
            database_url=database_url,
            log_level=(text("NEWSDESK_LOG_LEVEL") or cls.log_level).upper(),
            contact=text("NEWSDESK_CONTACT") or cls.contact,
            default_interval_seconds=number(
                "NEWSDESK_POLL_INTERVAL", cls.default_interval_seconds, minimum=60
            ),
            min_interval_seconds=number(
                "NEWSDESK_MIN_POLL_INTERVAL", cls.min_interval_seconds, minimum=1
            ),
            scheduler_tick_seconds=float(
                number("NEWSDESK_SCHEDULER_TICK", int(cls.scheduler_tick_seconds), minimum=1)
            ),
            max_feeds_per_server=number(
                "NEWSDESK_MAX_FEEDS_PER_SERVER", cls.max_feeds_per_server, minimum=1
            ),
            per_host_limit=number("NEWSDESK_PER_HOST_LIMIT", cls.per_host_limit, minimum=1),
            allow_private_addresses=flag("NEWSDESK_ALLOW_PRIVATE_ADDRESSES"),
            read_workers=number("NEWSDESK_READ_WORKERS", cls.read_workers, minimum=1),
            read_deadline_seconds=float(
                number("NEWSDESK_READ_DEADLINE", int(cls.read_deadline_seconds), minimum=1)
            ),
            max_feed_items=number("NEWSDESK_MAX_FEED_ITEMS", cls.max_feed_items, minimum=1),
            reading_lease_seconds=float(
                number("NEWSDESK_READING_LEASE", int(cls.reading_lease_seconds), minimum=2)
            ),
            fetch_timeout_seconds=float(
                number("NEWSDESK_FETCH_TIMEOUT", int(cls.fetch_timeout_seconds), minimum=1)
            ),
            poll_batch=number("NEWSDESK_POLL_BATCH", cls.poll_batch, minimum=1),
            poll_lease_seconds=float(
                number("NEWSDESK_POLL_LEASE", int(cls.poll_lease_seconds), minimum=10)
            ),
            poll_bucket_lease_seconds=float(
                number(
                    "NEWSDESK_POLL_BUCKET_LEASE", int(cls.poll_bucket_lease_seconds), minimum=3
                )
            ),
            shards=text("NEWSDESK_SHARDS"),
            shard_count=number("NEWSDESK_SHARD_COUNT", 0, minimum=1) or None,
        )

    @property
    def database(self) -> Path | str:
        """Where the database lives: the PostgreSQL address when one is set, else the file."""
        return self.database_url or self.database_path

    @property
    def user_agent(self) -> str:
        """The User-Agent sent with every fetch, naming a contact when one is set."""
        contact = f"; {self.contact}" if self.contact else ""
        return f"Newsdesk/0.1 (+https://github.com/newsdesk-bot/newsdesk{contact})"
