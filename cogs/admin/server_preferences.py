"""``/newsdesk settings``: per-server settings (the log channel for notices)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io import markup
from bot.discord_io.client import NewsdeskBot
from cogs.shared.channel_checks import ensure_bot_can_post
from cogs.shared.replies import reply_privately


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SettingsCommands(commands.GroupCog, group_name="newsdesk", group_description="Newsdesk"):
    """Server settings."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="settings")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        log_channel="Where Newsdesk tells admins about failing feeds and closed channels",
        clear_log_channel="Send notices to each feed's own channel again",
    )
    async def settings(
        self,
        interaction: discord.Interaction[Any],
        log_channel: discord.TextChannel | None = None,
        clear_log_channel: bool = False,
    ) -> None:
        """Show or change this server's Newsdesk settings."""
        assert interaction.guild_id is not None
        repository = self.bot.services.guild_settings
        if log_channel is not None:
            ensure_bot_can_post(log_channel)
            await repository.set_log_channel(interaction.guild_id, log_channel.id)
        elif clear_log_channel:
            await repository.set_log_channel(interaction.guild_id, None)
        current = await repository.log_channel(interaction.guild_id)
        where = f"{markup.channel(current)}" if current else "each feed's own channel"
        await reply_privately(
            interaction, f"Notices about feeds and channels go to {where}."
        )


async def setup(bot: NewsdeskBot) -> None:
    """Load /newsdesk settings."""
    await bot.add_cog(SettingsCommands(bot))
