"""The base of every view a command answers with: only the member who ran it may press.

Rules: another member who presses gets the view's ``refusal``, privately; an error raised by
a button or menu is answered with the same policy as commands (``answer_error``), logged
with the view's ``context``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import discord

from cogs.backend.errors import answer_error
from cogs.shared.replies import reply_privately


class InvokerView(discord.ui.View):
    """Buttons or menus for the member who ran a command, and no one else."""

    refusal: ClassVar[str]
    """What another member who presses is told."""
    context: ClassVar[str]
    """How the logs name the view when one of its items fails."""

    def __init__(self, invoker_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.invoker_id = invoker_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Let only the member who ran the command use the view."""
        if interaction.user.id == self.invoker_id:
            return True
        await reply_privately(interaction, self.refusal)
        return False

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        """Answer errors from the view's items with the same policy as commands."""
        await answer_error(interaction, error, self.context)
