"""``/sync``: the bot owner's command to publish slash commands to one server or everywhere."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import NotAllowed
from bot.discord_io.client import NewsdeskGateway
from cogs.shared.replies import reply_privately, think_privately


class OwnerCommands(commands.Cog):
    """Commands only the application's owner may run."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot

    @app_commands.command(name="sync")
    @app_commands.default_permissions(administrator=True)
    @app_commands.describe(scope="Where to publish the commands: this server, or every server")
    async def sync(
        self, interaction: discord.Interaction[Any], scope: Literal["server", "global"]
    ) -> None:
        """Publish Newsdesk's slash commands (bot owner only)."""
        await think_privately(interaction)
        if not await self.bot.is_owner(interaction.user):
            raise NotAllowed("Only the bot's owner can publish its commands.")
        if scope == "global":
            synced = await self.bot.tree.sync()
            where = "every server (Discord may take up to an hour to show them)"
        else:
            if interaction.guild_id is None:
                raise NotAllowed("Run /sync scope:server inside the server to publish to.")
            guild = discord.Object(id=interaction.guild_id)
            self.bot.tree.copy_global_to(guild=guild)
            synced = await self.bot.tree.sync(guild=guild)
            where = "this server"
        await reply_privately(interaction, f"Published {len(synced)} commands to {where}.")


async def setup(bot: NewsdeskGateway) -> None:
    """Load the owner commands."""
    await bot.add_cog(OwnerCommands(bot))
