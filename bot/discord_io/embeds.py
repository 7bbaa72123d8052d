"""Article cards as Discord embeds: the pipeline's ``ArticleCard`` drawn by discord.py.

The card is already within Discord's limits (``bot.pipeline.deliver.cards``); this module
only maps it field for field, so nothing outside the Discord edge touches ``discord.Embed``.
"""

from __future__ import annotations

import discord

from bot.core.models import ArticleCard

EMBED_COLOUR = 0x2B6CB0


def post_embed(card: ArticleCard) -> discord.Embed | None:
    """Return the embed a post of ``card`` carries (None for a subscription that posts text
    only)."""
    return card_embed(card) if card.embedded else None


def card_embed(card: ArticleCard) -> discord.Embed:
    """Return the embed that shows ``card``."""
    embed = discord.Embed(
        title=card.title, url=card.url, description=card.description,
        colour=card.colour if card.colour is not None else EMBED_COLOUR,
        timestamp=card.timestamp,
    )
    if card.author_name:
        embed.set_author(name=card.author_name, url=card.author_url)
    for field in card.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if card.footer is not None:
        embed.set_footer(text=card.footer)
    if card.image_url is not None:
        embed.set_image(url=card.image_url)
    return embed
