"""``/newsdesk settings``: a server's preferences (the log channel for notices)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.client import NewsdeskGateway
from bot.features.server_preferences import describe_preferences
from cogs.shared.channel_checks import ensure_bot_can_post
from cogs.shared.replies import reply_privately, think_privately


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ServerPreferencesCommands(
    commands.GroupCog, group_name="newsdesk", group_description="Newsdesk"
):
    """A server's preferences for Newsdesk."""

    def __init__(self, bot: NewsdeskGateway) -> None:
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
        await think_privately(interaction)
        preferences = self.bot.services.server_preferences
        if log_channel is not None:
            ensure_bot_can_post(log_channel)
            chosen = await preferences.set_log_channel(interaction.guild_id, log_channel.id)
        elif clear_log_channel:
            chosen = await preferences.set_log_channel(interaction.guild_id, None)
        else:
            chosen = await preferences.get(interaction.guild_id)
        await reply_privately(interaction, describe_preferences(chosen))


async def setup(bot: NewsdeskGateway) -> None:
    """Load /newsdesk settings."""
    await bot.add_cog(ServerPreferencesCommands(bot))
