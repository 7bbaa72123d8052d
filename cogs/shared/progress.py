"""Showing progress of a long command in its deferred reply."""

from __future__ import annotations

import time
from typing import Any

import discord

from cogs.shared.replies import edit_original

PROGRESS_EVERY_SECONDS = 2.0


class ProgressReporter:
    """Edits a deferred reply with "n of m" at most every couple of seconds."""

    def __init__(self, interaction: discord.Interaction[Any], verb: str) -> None:
        self._interaction = interaction
        self._verb = verb
        self._last = 0.0

    async def update(self, done: int, total: int) -> None:
        """Show progress if enough time passed since the last update."""
        now = time.monotonic()
        if done == total or now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        await edit_original(self._interaction, f"{self._verb}… {done} of {total}")
