"""One role of Newsdesk in its own process, pointed at a sandbox Discord (the distributed benches).

Usage (the benches start it; from the repository root)::

    python -m bench.support.role_process ROLE --settings SETTINGS.json --sandbox-info SANDBOX.json
                                         [--shards 0-3 --shard-count 8]

It does what ``newsdesk run --role ROLE --shards … --shard-count …`` does
(``bot.app.roles.serve_role``, until SIGTERM), with two differences only:

- discord.py talks to the sandbox process of ``--sandbox-info`` (``point_discord_at``: the REST
  base and the default gateway), not to Discord;
- the settings come from a JSON file the bench wrote (``write_settings``), not from the
  environment: the benches poll every 2 to 60 seconds, below what ``NEWSDESK_POLL_INTERVAL``
  accepts, and reach the farm on 127.0.0.1.

Nothing else of the role is touched: what runs is the code ``newsdesk run`` runs.

A role process stops itself (SIGTERM, then exit) when the bench that started it dies
(``bench.support.orphan_watch``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.support.delivery import SandboxInfo, point_discord_at
from bench.support.orphan_watch import stop_when_orphaned
from bot.app.roles import ROLES, ShardPlan, serve_role
from bot.app.settings import Settings

ROLE_LOGGERS = ("bot.app.roles",)  # start, stop and leadership lines: what a kill interrupted


def write_settings(settings: Settings, path: Path) -> None:
    """Write ``settings`` as JSON for ``read_settings`` (the token included: a sandbox's)."""
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(settings):
        value = getattr(settings, item.name)
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, frozenset):
            value = sorted(list(pair) for pair in value)
        fields[item.name] = value
    path.write_text(json.dumps(fields), encoding="utf-8")


def read_settings(path: Path) -> Settings:
    """Read settings written by ``write_settings``."""
    fields: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    fields["database_path"] = Path(fields["database_path"])
    fields["allowed_private_origins"] = frozenset(
        (str(host), int(port)) for host, port in fields["allowed_private_origins"]
    )
    return Settings(**fields)


def role_command(
    role: str, settings_path: Path, sandbox_info: Path, shards: str | None = None,
    shard_count: int | None = None,
) -> list[str]:
    """The arguments after ``python -m bench.support.role_process`` for one role process."""
    args = [role, "--settings", str(settings_path), "--sandbox-info", str(sandbox_info)]
    if shards is not None:
        args += ["--shards", shards]
    if shard_count is not None:
        args += ["--shard-count", str(shard_count)]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one role against the sandbox until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--settings", type=Path, required=True)
    parser.add_argument("--sandbox-info", type=Path, required=True)
    parser.add_argument("--shards", metavar="RANGE")
    parser.add_argument("--shard-count", type=int, metavar="N")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    for name in ROLE_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    stop_when_orphaned()
    settings = read_settings(args.settings)
    point_discord_at(SandboxInfo.load(args.sandbox_info))
    asyncio.run(serve_role(args.role, settings, ShardPlan.parse(args.shards, args.shard_count)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
