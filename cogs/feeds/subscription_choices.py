"""Autocomplete for every ``subscription`` option: the server's own subscriptions only."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord_io.client import NewsdeskGateway


async def subscription_choices(
    bot: NewsdeskGateway, interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    """Offer the server's subscriptions whose title or URL contains what was typed."""
    if interaction.guild_id is None or not interaction.permissions.manage_guild:
        return []  # discord.py runs no command checks for autocomplete
    typed = current.strip().lower()
    choices: list[app_commands.Choice[int]] = []
    for summary in await bot.services.subscriptions.list_subscriptions(interaction.guild_id):
        label = f"#{summary.subscription.id} {summary.feed_title or summary.feed_url}"[:100]
        if typed in label.lower() or typed in summary.feed_url.lower():
            choices.append(app_commands.Choice(name=label, value=summary.subscription.id))
    return choices[:25]
