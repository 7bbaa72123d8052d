"""Showing progress of a long command in its deferred reply."""

from __future__ import annotations

import time
from typing import Any

import discord

from cogs.shared.replies import edit_original, interaction_gone

PROGRESS_EVERY_SECONDS = 2.0


class ProgressReporter:
    """Edits a deferred reply with "n of m" at most every couple of seconds.

    An interaction's token lasts 15 minutes: once Discord refuses the edit for that, progress
    is no longer shown and the work goes on (it reports some other way, see ``/feed import``).
    """

    def __init__(self, interaction: discord.Interaction[Any], verb: str) -> None:
        self._interaction = interaction
        self._verb = verb
        self._last = 0.0
        self.gone = False

    async def update(self, done: int, total: int) -> None:
        """Show progress if enough time passed since the last update."""
        now = time.monotonic()
        if self.gone or done == total or now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        try:
            await edit_original(self._interaction, f"{self._verb}… {done} of {total}")
        except discord.HTTPException as error:
            if not interaction_gone(error):
                raise
            self.gone = True
