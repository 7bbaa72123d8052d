"""The menu shown when a page offers several feeds: the person who asked picks one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core.text import trim_text, without_invisible
from bot.features.feeds.discovery import FeedCandidate
from cogs.shared.views import InvokerView

log = logging.getLogger(__name__)

CHOICE_TIMEOUT_SECONDS = 300

ChooseFeed = Callable[[discord.Interaction[Any], str], Awaitable[None]]


def option_label(candidate: FeedCandidate) -> str:
    """Return the menu label of a candidate: its title, else its kind (Discord refuses an
    empty label, and a title of spaces or invisible characters is one)."""
    title = " ".join(without_invisible(candidate.title or "").split())
    return trim_text(title or f"{candidate.kind} feed", 100)


class FeedChoiceView(InvokerView):
    """A select menu of candidate feeds that only the invoking member may use."""

    refusal = "Only the person who ran /feed add can choose here."
    context = "view=feed-choice"
    required_permission = "manage_guild"

    def __init__(
        self, invoker_id: int, candidates: list[FeedCandidate], on_choice: ChooseFeed
    ) -> None:
        super().__init__(invoker_id, timeout=CHOICE_TIMEOUT_SECONDS)
        self.candidates = candidates[:25]
        self.on_choice = on_choice
        menu: discord.ui.Select[FeedChoiceView] = discord.ui.Select(
            placeholder="Choose the feed to follow",
            options=[
                discord.SelectOption(
                    label=option_label(candidate),
                    value=str(position),
                    description=trim_text(candidate.url, 100),
                )
                for position, candidate in enumerate(self.candidates)
            ],
        )
        menu.callback = self._chosen  # type: ignore[method-assign]
        self.menu = menu
        self.add_item(menu)

    async def _chosen(self, interaction: discord.Interaction[Any]) -> None:
        candidate = self.candidates[int(self.menu.values[0])]
        self.stop()
        await self.on_choice(interaction, candidate.url)
