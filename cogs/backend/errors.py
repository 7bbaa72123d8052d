"""The one error handler on the command tree.

Rules: a ``UserError`` (raised by a service or a command) is shown to the user as it is,
ephemerally; Discord-side check failures get a sentence naming what is missing; anything
else is a bug: logged with the command, guild, channel and user, and answered with an
apology that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from cogs.shared.replies import reply_privately

log = logging.getLogger(__name__)

APOLOGY = (
    "Something went wrong on Newsdesk's side and it has been logged. "
    "Please try again in a moment."
)


def permission_names(missing: list[str]) -> str:
    """Name permissions as Discord's settings do (``manage_guild`` -> ``Manage Server``)."""
    return ", ".join(name.replace("_", " ").replace("guild", "server").title() for name in missing)


def describe_error(error: Exception) -> str | None:
    """Return the sentence to show for an expected error, or None for a bug."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        return original.message
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {permission_names(error.missing_permissions)} permission to do that."
    if isinstance(error, app_commands.BotMissingPermissions):
        return (
            f"Newsdesk needs the {permission_names(error.missing_permissions)} permission "
            "here. Ask a server admin to grant it."
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.TransformerError):
        return f"{error.value!r} is not a valid value there. Check the option and try again."
    if isinstance(error, app_commands.CheckFailure):
        return "You are not allowed to use this command here."
    return None


class ErrorHandler(commands.Cog):
    """Installs the tree's error handler for as long as the cog is loaded."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        """Route every app command error through ``on_app_command_error``."""
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        """Restore the tree's previous handler."""
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Answer the user and log bugs with their context."""
        command = interaction.command.qualified_name if interaction.command else "?"
        await answer_error(interaction, error, f"command={command}")


async def answer_error(interaction: discord.Interaction[Any], error: Exception, where: str) -> None:
    """Tell the user what went wrong (a user error as is, a bug as an apology) and log bugs.

    Used by the command tree and by every view, so buttons and menus follow the same policy.
    """
    message = describe_error(error)
    if message is None:
        log.error(
            "interaction failed %s guild_id=%s channel_id=%s user_id=%s",
            where, interaction.guild_id, interaction.channel_id, interaction.user.id,
            exc_info=error,
        )
        message = APOLOGY
    try:
        await reply_privately(interaction, message)
    except discord.HTTPException:
        log.warning("could not deliver an error reply guild_id=%s channel_id=%s",
                    interaction.guild_id, interaction.channel_id, exc_info=True)


async def setup(bot: commands.Bot) -> None:
    """Load the error handler."""
    await bot.add_cog(ErrorHandler(bot))
