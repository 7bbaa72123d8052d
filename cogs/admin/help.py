"""``/help``: the commands the member asking may use, with their options.

Rules: a command is listed when the member's permissions in the channel include its default
permissions (its group's, for a subcommand), as Discord itself decides what a member sees;
``/sync`` only for the bot's owner. Each line shows the options (``[optional]`` ones in
brackets); ``/help command:…`` shows one command's options with their descriptions and
ranges.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput
from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.embeds import EMBED_COLOUR
from cogs.shared.replies import reply, think_privately

AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.Group
Leaf = app_commands.Command[Any, ..., Any]
OWNER_COMMANDS = frozenset({"sync"})


def leaves_of(commands_: list[AnyCommand]) -> list[Leaf]:
    """Return every leaf command under ``commands_``."""
    found: list[Leaf] = []
    for command in commands_:
        if isinstance(command, app_commands.Group):
            found.extend(leaves_of(list(command.commands)))
        else:
            found.append(command)
    return found


def required_permissions(command: Leaf) -> discord.Permissions | None:
    """Return the permissions Discord asks of a member to see the command (None: none)."""
    root: AnyCommand = command
    while root.parent is not None:
        root = root.parent
    return command.default_permissions or root.default_permissions


def signature(command: Leaf) -> str:
    """Return ``/name sub option [optional]``."""
    options = [
        parameter.name if parameter.required else f"[{parameter.name}]"
        for parameter in command.parameters
    ]
    return " ".join([f"/{command.qualified_name}", *options])


def command_lines(commands_: list[Leaf]) -> list[str]:
    """Return one line per command: its signature and description, sorted."""
    return sorted(f"`{signature(command)}` {command.description}" for command in commands_)


def option_help(command: Leaf) -> str:
    """Describe one command's options, with their ranges and choices."""
    lines = [f"`{signature(command)}`", command.description, ""]
    for parameter in command.parameters:
        facts = ["required" if parameter.required else "optional"]
        if parameter.min_value is not None or parameter.max_value is not None:
            low = "" if parameter.min_value is None else parameter.min_value
            high = "" if parameter.max_value is None else parameter.max_value
            facts.append(f"{low}–{high}")
        if parameter.choices:
            facts.append("one of " + ", ".join(choice.name for choice in parameter.choices))
        lines.append(f"**{parameter.name}** ({'; '.join(facts)}): {parameter.description}")
    if not command.parameters:
        lines.append("No options.")
    return "\n".join(lines)


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

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot

    async def _usable(self, interaction: discord.Interaction[Any]) -> list[Leaf]:
        """Return the commands the member may use here."""
        guild = discord.Object(id=interaction.guild_id) if interaction.guild_id else None
        available = self.bot.tree.get_commands(guild=guild) if guild else []
        every = {command.name: command for command in self.bot.tree.get_commands()}
        every.update({command.name: command for command in available})
        tops = [
            command for command in every.values()
            if isinstance(command, app_commands.Command | app_commands.Group)
        ]
        owner = await self.bot.is_owner(interaction.user)
        usable: list[Leaf] = []
        for command in leaves_of(tops):
            if command.qualified_name in OWNER_COMMANDS:
                if owner:
                    usable.append(command)
                continue
            needed = required_permissions(command)
            if needed is None or needed.is_subset(interaction.permissions):
                usable.append(command)
        return usable

    @app_commands.command(name="help")
    @app_commands.describe(command="One command to explain with its options, e.g. feed add")
    async def help(
        self, interaction: discord.Interaction[Any],
        command: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """List the Newsdesk commands you can use and their options."""
        await think_privately(interaction)  # is_owner may ask Discord once
        usable = await self._usable(interaction)
        if command is not None:
            wanted = " ".join(command.strip().lstrip("/").split()).lower()
            found = next((one for one in usable if one.qualified_name == wanted), None)
            if found is None:
                raise InvalidInput(
                    f"You have no command named /{wanted[:100]}. /help lists the ones you can use."
                )
            embed = discord.Embed(description=option_help(found), colour=EMBED_COLOUR)
            await reply(interaction, embeds=[embed])
            return
        embeds: list[discord.Embed] = []
        lines = command_lines(usable)
        for chunk in chunks(lines, EMBED_DESCRIPTION_BUDGET):
            embeds.append(discord.Embed(description="\n".join(chunk), colour=EMBED_COLOUR))
        embeds[0].title = "Newsdesk commands you can use"
        embeds[-1].set_footer(text="/help command:<name> shows a command's options in full.")
        await reply(interaction, embeds=embeds[:10])


async def setup(bot: NewsdeskGateway) -> None:
    """Load /help."""
    await bot.add_cog(HelpCommand(bot))
