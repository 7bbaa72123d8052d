"""The base of every view a command answers with: only the member who ran it may press.

Rules: another member who presses gets the view's ``refusal``, privately; a view acting with
a command's permission checks it again at each press; an error raised by
a button or menu is answered with the same policy as commands (``answer_error``), logged
with the view's ``context``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import discord

from cogs.backend.errors import answer_error, permission_names
from cogs.shared.replies import reply_privately


class InvokerView(discord.ui.View):
    """Buttons or menus for the member who ran a command, and no one else."""

    refusal: ClassVar[str]
    """What another member who presses is told."""
    context: ClassVar[str]
    """How the logs name the view when one of its items fails."""
    required_permission: ClassVar[str | None] = None
    """A permission (``manage_guild``) the member must still hold when pressing: it may have
    been taken away since the command ran, and a press acts with the command's authority."""

    def __init__(self, invoker_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.invoker_id = invoker_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Let only the member who ran the command use the view, while they may run it."""
        if interaction.user.id != self.invoker_id:
            await reply_privately(interaction, self.refusal)
            return False
        needed = self.required_permission
        if needed is not None and not getattr(interaction.permissions, needed):
            await reply_privately(
                interaction,
                f"You no longer have the {permission_names([needed])} permission here, so "
                "nothing was changed: ask a server admin.",
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        """Answer errors from the view's items with the same policy as commands."""
        await answer_error(interaction, error, self.context)
