"""Answering an interaction: the one way cogs send or edit the text a person sees.

Rules: every text goes through ``fit_message``, so no answer is ever longer than Discord's
2,000 characters (a longer one is cut with an ellipsis and logged: the text that built it
should have trimmed its parts); mentions never ping unless a caller passes its own
``allowed_mentions``; an answer is the interaction's response when none was sent yet, else a
follow-up.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import discord

from bot.core.text import MESSAGE_LIMIT

log = logging.getLogger(__name__)

ELLIPSIS = "…"


def fit_message(text: str) -> str:
    """Return ``text`` cut to one Discord message (2,000 characters), ending in an ellipsis
    when cut."""
    if len(text) <= MESSAGE_LIMIT:
        return text
    log.warning("reply cut to fit one message length=%d start=%r", len(text), text[:80])
    return text[: MESSAGE_LIMIT - len(ELLIPSIS)].rstrip() + ELLIPSIS


async def think_privately(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge the interaction with a private "thinking…" before any I/O: Discord wants
    an answer within 3 s, and a database or a feed may take longer."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)


def _with_mentions(extra: dict[str, Any]) -> dict[str, Any]:
    return {"allowed_mentions": discord.AllowedMentions.none(), **extra}


async def reply(
    interaction: discord.Interaction[Any], content: str | None = None, *,
    ephemeral: bool = True, **extra: Any,
) -> None:
    """Answer with ``content`` (and any of discord.py's ``view``, ``embed``, ``file``…): the
    response if none was sent yet, else a follow-up."""
    text = None if content is None else fit_message(content)
    kwargs = _with_mentions(extra)
    if interaction.response.is_done():
        await interaction.followup.send(
            text or discord.utils.MISSING, ephemeral=ephemeral, **kwargs
        )
    else:
        await interaction.response.send_message(text, ephemeral=ephemeral, **kwargs)


async def reply_privately(interaction: discord.Interaction[Any], content: str) -> None:
    """Send an ephemeral message as the response, or as a follow-up if one was already sent."""
    await reply(interaction, content, ephemeral=True)


async def defer_update(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge a button or menu before any I/O, promising to edit its message."""
    if not interaction.response.is_done():
        await interaction.response.defer()


async def update_message(
    interaction: discord.Interaction[Any], content: str, **extra: Any
) -> None:
    """Answer a button or menu by editing the message it is on (after ``defer_update`` too:
    a component interaction's original response is that message)."""
    if interaction.response.is_done():
        await interaction.edit_original_response(content=fit_message(content), **extra)
    else:
        await interaction.response.edit_message(content=fit_message(content), **extra)


async def edit_original(
    interaction: discord.Interaction[Any], content: str, **extra: Any
) -> None:
    """Replace the text of the interaction's (deferred) response."""
    await interaction.edit_original_response(
        content=fit_message(content), **_with_mentions(extra)
    )


def text_file(filename: str, text: str) -> discord.File:
    """Wrap text as an attachment."""
    return discord.File(io.BytesIO(text.encode()), filename=filename)


# Discord's answers once an interaction's 15 minutes are over: Unknown Webhook, Invalid
# Webhook Token.
INTERACTION_GONE_CODES = frozenset({10015, 50027})


def interaction_gone(error: discord.HTTPException) -> bool:
    """Whether Discord refused an edit or follow-up because the interaction's token expired."""
    return error.code in INTERACTION_GONE_CODES


async def post_for(
    channel: discord.abc.Messageable, member: discord.abc.User, content: str, **extra: Any
) -> None:
    """Post ``content`` in a channel, addressed to ``member`` (mentioned, and the only one
    pinged): for an answer that can no longer go through the interaction."""
    await channel.send(
        fit_message(f"{member.mention} {content}"),
        allowed_mentions=discord.AllowedMentions(users=[member]), **extra,
    )
