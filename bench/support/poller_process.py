"""One poller process for the benches: the real ``newsdesk run --role poller`` code
(``serve_role``), started with ``multiprocessing`` and stopped with SIGTERM.

Kept apart from the benches themselves so a spawned poller imports only what the role does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.app.roles import ShardPlan, serve_role
from bot.app.settings import Settings


def poller_main(fields: dict[str, Any]) -> None:
    """Run the poller role with ``Settings(**fields)`` until SIGTERM."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    asyncio.run(serve_role("poller", Settings(**fields), ShardPlan()))
