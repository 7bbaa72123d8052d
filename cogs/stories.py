"""``/story``: who carried a story, and when."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.client import NewsdeskGateway
from cogs.shared.replies import reply_privately, think_privately


class StoryCommands(commands.Cog):
    """Story commands, open to every member."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot

    @app_commands.command(name="story")
    @app_commands.guild_only()
    @app_commands.describe(url="The web address of any article of the story")
    async def story(
        self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 1, 2048]
    ) -> None:
        """Show every source that carried a story, with times."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        text = await self.bot.services.stories.describe(interaction.guild_id, url)
        await reply_privately(interaction, text)


async def setup(bot: NewsdeskGateway) -> None:
    """Load /story."""
    await bot.add_cog(StoryCommands(bot))
