"""A poller role in a process of its own, for the kill -9 test: runs ``serve_role("poller")``
with short leases until killed.

Usage: ``python -m tests.app.poller_child ADDRESS LEASE_SECONDS CONTACT``
"""

from __future__ import annotations

import asyncio
import sys

from bot.app.roles import ShardPlan, serve_role
from bot.app.settings import Settings


def settings_for(address: str, lease_seconds: float, contact: str) -> Settings:
    """Return a poller's settings: loopback feeds, short leases, its name in its User-Agent."""
    return Settings(
        database_url=address, allow_private_addresses=True, contact=contact,
        poll_lease_seconds=lease_seconds, poll_bucket_lease_seconds=lease_seconds / 2,
        scheduler_tick_seconds=0.2, fetch_timeout_seconds=60.0,
    )


if __name__ == "__main__":
    asyncio.run(
        serve_role("poller", settings_for(sys.argv[1], float(sys.argv[2]), sys.argv[3]),
                   ShardPlan())
    )
