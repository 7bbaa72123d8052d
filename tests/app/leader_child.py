"""A contender in a process of its own, for the kill -9 tests: prints ``leading EPOCH`` once it
leads, then holds the lease until killed.

Usage: ``python -m tests.app.leader_child ADDRESS ROLE LEASE_SECONDS``
"""

from __future__ import annotations

import asyncio
import sys

from bot.app.roles.leadership import Leadership
from storage import Database
from storage.leases import Fence


async def contend(address: str, role: str, lease_seconds: float) -> None:
    database = await Database.open(address)
    leadership = Leadership(
        database, role, lease_seconds=lease_seconds, renew_seconds=lease_seconds / 6,
        safety_seconds=lease_seconds / 3,
    )

    async def work(fence: Fence) -> None:
        print(f"leading {fence.epoch}", flush=True)
        await asyncio.Event().wait()

    await leadership.lead(work, asyncio.Event())


if __name__ == "__main__":
    asyncio.run(contend(sys.argv[1], sys.argv[2], float(sys.argv[3])))
