"""How an article looks in Discord: one embed, within every Discord size limit.

Rules: text is trimmed, never refused (title 256, description 4096, field 1024, footer 2048,
author 256, 6000 in all); a summary is cut at a sentence boundary when one is near, else at a
word, and marked with an ellipsis; only http(s) URLs become links or images; feed text is
shown as written but never pings (the deliverer sends ``allowed_mentions`` = none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import discord

from bot.core.models import Article

SUMMARY_LIMIT = 350
TITLE_LIMIT = 256
AUTHOR_LIMIT = 256
FOOTER_LIMIT = 2048
MESSAGE_LIMIT = 2000
FIELD_LIMIT = 1024
EMBED_COLOUR = 0x2B6CB0

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")


def trim_text(text: str, limit: int) -> str:
    """Trim ``text`` to ``limit`` characters at a word boundary, adding an ellipsis if cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def trim_to_sentence(text: str, limit: int) -> str:
    """Trim ``text`` to ``limit`` characters, preferring to end on a whole sentence."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    ends = [match.end() for match in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]]
    return trim_text(text, limit)


def is_web_url(url: str | None) -> bool:
    """Return whether ``url`` is an absolute http(s) URL Discord can link to."""
    return url is not None and url.startswith(("https://", "http://")) and len(url) <= 2048


def discord_timestamp(moment: datetime) -> str:
    """Render a moment as Discord timestamp markup (shown in each reader's time zone)."""
    seconds = int(moment.timestamp())
    return f"<t:{seconds}:f> (<t:{seconds}:R>)"


def article_embed(
    article: Article,
    *,
    source_name: str,
    source_url: str | None,
    original: tuple[str, str | None] | None = None,
    also_reported_by: str | None = None,
) -> discord.Embed:
    """Build the embed posted for an article, crediting its story's original and copies.

    The title links to the original when the story has one, as the story's main link.
    """
    original_url = original[1] if original is not None else None
    link = original_url if is_web_url(original_url) else article.url
    embed = discord.Embed(
        title=trim_text(article.title, TITLE_LIMIT) or "(untitled)",
        url=link if is_web_url(link) else None,
        description=trim_to_sentence(article.summary, SUMMARY_LIMIT) or None,
        colour=EMBED_COLOUR,
        timestamp=article.published_at,
    )
    embed.set_author(
        name=trim_text(source_name.strip() or "Feed", AUTHOR_LIMIT),
        url=source_url if is_web_url(source_url) else None,
    )
    if article.published_at is not None:
        embed.add_field(name="Published", value=discord_timestamp(article.published_at))
    # Discord refuses empty field values and author names: blank text never reaches it.
    if original is not None and original[0].strip():
        name, url = original[0].strip(), original[1]
        shown = f"[{trim_text(name, 200)}]({url})" if is_web_url(url) else trim_text(name, 200)
        embed.add_field(name="Originally published by", value=shown, inline=False)
    if also_reported_by and also_reported_by.strip():
        embed.add_field(
            name="Also reported by", value=trim_text(also_reported_by, FIELD_LIMIT), inline=False
        )
    if article.author and article.author.strip():
        embed.set_footer(text=trim_text(f"By {article.author}", FOOTER_LIMIT))
    if is_web_url(article.image_url):
        embed.set_image(url=article.image_url)
    return embed


def join_within_limit(blocks: Sequence[str], separator: str) -> str:
    """Join whole blocks while they fit one message, then say how many were left out."""
    kept: list[str] = []
    used = 0
    for position, block in enumerate(blocks):
        cost = len(block) + (len(separator) if kept else 0)
        if used + cost > MESSAGE_LIMIT - 40:
            kept.append(f"…and {len(blocks) - position} more.")
            break
        kept.append(block)
        used += cost
    return separator.join(kept)
