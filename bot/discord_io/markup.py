"""Discord's message markup: the one module that writes ``<#…>``, ``<@&…>`` and ``<t:…>``, and
that escapes text so it shows as typed.

Plain functions over IDs and datetimes, importing nothing from discord.py, so the domain's
reply builders can use them without loading the library; everything else in the project
that needs a mention or a timestamp in text asks here.
"""

from __future__ import annotations

import re
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


_MARKDOWN = re.compile(r"([\\*_~`|\[\]()<>])")
_LINK_SYNTAX = re.compile(r"([\[\]()<>])")
_LINE_START = re.compile(r"^([#>-])", re.MULTILINE)


def literal(text: str) -> str:
    """Return ``text`` shown as typed: Markdown, masked links (``[text](url)``), mentions and
    headings written in it are escaped, so text from a feed or a member can only be text."""
    return _LINE_START.sub(r"\\\1", _MARKDOWN.sub(r"\\\1", text))


def unlinked(text: str) -> str:
    """Return ``text`` with only link and mention syntax escaped (brackets, parentheses,
    angle brackets), keeping its emphasis: for snippets whose ``**`` marks the match."""
    return _LINK_SYNTAX.sub(r"\\\1", text)
