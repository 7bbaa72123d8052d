"""``/help``: every command Newsdesk offers, with its description."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.client import NewsdeskBot
from bot.discord_io.embeds import EMBED_COLOUR
from cogs.shared.replies import reply

AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.Group


def command_lines(commands_: list[AnyCommand]) -> list[str]:
    """Return one line per leaf command: ``/name sub`` and its description, sorted."""
    lines: list[str] = []
    for command in commands_:
        if isinstance(command, app_commands.Group):
            lines.extend(command_lines(list(command.commands)))
        else:
            lines.append(f"`/{command.qualified_name}` {command.description}")
    return sorted(lines)


EMBED_DESCRIPTION_BUDGET = 4000  # Discord allows 4096 per embed description


def chunks(lines: list[str], budget: int) -> list[list[str]]:
    """Split lines into groups whose joined length stays within ``budget``."""
    groups: list[list[str]] = [[]]
    used = 0
    for line in lines:
        if groups[-1] and used + len(line) + 1 > budget:
            groups.append([])
            used = 0
        groups[-1].append(line)
        used += len(line) + 1
    return groups


class HelpCommand(commands.Cog):
    """Lists the commands."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """List Newsdesk's commands and what they do."""
        guild = discord.Object(id=interaction.guild_id) if interaction.guild_id else None
        available = self.bot.tree.get_commands(guild=guild) if guild else []
        every = {command.name: command for command in self.bot.tree.get_commands()}
        every.update({command.name: command for command in available})
        leaves = [
            command for command in every.values()
            if isinstance(command, app_commands.Command | app_commands.Group)
        ]
        embeds: list[discord.Embed] = []
        for chunk in chunks(command_lines(leaves), EMBED_DESCRIPTION_BUDGET):
            embeds.append(discord.Embed(description="\n".join(chunk), colour=EMBED_COLOUR))
        embeds[0].title = "Newsdesk commands"
        await reply(interaction, embeds=embeds[:10])


async def setup(bot: NewsdeskBot) -> None:
    """Load /help."""
    await bot.add_cog(HelpCommand(bot))
