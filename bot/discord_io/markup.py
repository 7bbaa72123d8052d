"""Discord's message markup: the one module that writes ``<#…>``, ``<@&…>`` and ``<t:…>``.

Plain functions over IDs and datetimes, importing nothing from discord.py, so the domain's
reply builders can use them without loading the library; everything else in the project
that needs a mention or a timestamp in text asks here.
"""

from __future__ import annotations

from datetime import datetime


def channel(channel_id: int) -> str:
    """Return the mention of a channel (a clickable ``#name`` in Discord)."""
    return f"<#{channel_id}>"


def role(role_id: int) -> str:
    """Return the mention of a role (pings it when the message's allowed mentions let it)."""
    return f"<@&{role_id}>"


def moment(when: datetime) -> str:
    """Return a date and time shown in each reader's time zone, with "3 hours ago" after it."""
    seconds = int(when.timestamp())
    return f"<t:{seconds}:f> (<t:{seconds}:R>)"


def date_time(when: datetime) -> str:
    """Return a date and time shown in each reader's time zone."""
    return f"<t:{int(when.timestamp())}:f>"
