"""One poller process for the benches: the real ``newsdesk run --role poller`` code
(``serve_role``) with settings given as JSON, until SIGTERM.

Usage (the benches start it)::

    python -m bench.support.poller_process '{"database_url": "postgresql://…", …}'

A process of its own (not a ``multiprocessing`` child, which would import the bench that
started it): it imports only what the poller role does. It stops when the bench that
started it dies (``bench.support.orphan_watch``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.support.orphan_watch import stop_when_orphaned
from bot.app.roles import ShardPlan, serve_role
from bot.app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def poller_main(fields: dict[str, Any]) -> None:
    """Run the poller role with ``Settings(**fields)`` until SIGTERM."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    stop_when_orphaned()
    asyncio.run(serve_role("poller", Settings(**fields), ShardPlan()))


def start_poller(fields: dict[str, Any]) -> subprocess.Popen[bytes]:
    """Start a poller process with ``Settings(**fields)`` (JSON values only)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.support.poller_process", json.dumps(fields)], cwd=ROOT
    )


if __name__ == "__main__":
    poller_main(json.loads(sys.argv[1]))
