"""Replying to an interaction whether or not it was already answered or deferred."""

from __future__ import annotations

import io
from typing import Any

import discord


async def reply_privately(interaction: discord.Interaction[Any], content: str) -> None:
    """Send an ephemeral message as the response, or as a follow-up if one was already sent."""
    mentions = discord.AllowedMentions.none()
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=mentions)
    else:
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=mentions
        )


def text_file(filename: str, text: str) -> discord.File:
    """Wrap text as an attachment."""
    return discord.File(io.BytesIO(text.encode()), filename=filename)
