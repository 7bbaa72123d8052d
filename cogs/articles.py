"""Reading the news: ``/summarize`` any article, and the "Quotes" button on posts."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.sender import QUOTES_BUTTON_PREFIX, quotes_button
from bot.features.search.trends import describe_no_mentions, render_trend_chart, split_terms
from cogs.backend.errors import answer_error
from cogs.shared.replies import edit_original, reply, reply_privately, think_privately


class QuotesButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.escape(QUOTES_BUTTON_PREFIX) + r"(?P<article_id>[0-9]{1,20})",
):
    """The "Quotes" button under a post: shows the article's quotations to whoever clicks."""

    def __init__(self, article_id: int) -> None:
        super().__init__(quotes_button(article_id))
        self.article_id = article_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> QuotesButton:
        """Rebuild the button from its custom id (works across restarts)."""
        return cls(int(match["article_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Answer the clicker privately with the article's quotes."""
        client = interaction.client
        assert isinstance(client, NewsdeskGateway)
        try:
            if interaction.guild_id is None:
                await reply_privately(interaction, "Quotes are shown inside a server.")
                return
            await think_privately(interaction)
            text = await client.services.reading.quotes_of_article(
                interaction.guild_id, self.article_id
            )
            await reply_privately(interaction, text)
        except Exception as error:  # noqa: BLE001 (answer_error logs bugs with context)
            await answer_error(interaction, error, f"button=quotes article_id={self.article_id}")


class ReadingCommands(commands.Cog):
    """Commands for reading the news, open to every member."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Route clicks on every post's "Quotes" button here, including older posts."""
        self.bot.add_dynamic_items(QuotesButton)

    async def cog_unload(self) -> None:
        """Stop handling "Quotes" clicks."""
        self.bot.remove_dynamic_items(QuotesButton)

    @app_commands.command(name="quotes")
    @app_commands.guild_only()
    @app_commands.describe(who="A person's name (or a topic the quotes mention)")
    async def quotes(
        self, interaction: discord.Interaction[Any], who: app_commands.Range[str, 1, 100]
    ) -> None:
        """List recent quotes by a person, with links to the articles."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        text = await self.bot.services.reading.recent_quotes(interaction.guild_id, who)
        await reply_privately(interaction, text)

    @app_commands.command(name="trend")
    @app_commands.guild_only()
    @app_commands.describe(term="A term, or up to four separated by commas")
    async def trend(
        self, interaction: discord.Interaction[Any], term: app_commands.Range[str, 1, 200]
    ) -> None:
        """Chart daily mentions of terms in this server's articles over the last 30 days."""
        assert interaction.guild_id is not None
        terms = split_terms(term)
        # Deferred privately: Discord ignores the ephemeral flag on the follow-up that ends a
        # public defer, so an error after a public one would be shown to the whole channel.
        await think_privately(interaction)
        series = await self.bot.services.trends.daily_mentions(interaction.guild_id, terms)
        if not any(sum(one.counts) for one in series):
            await reply_privately(interaction, describe_no_mentions(terms))
            return
        title = "Daily mentions, last 30 days: " + ", ".join(terms)
        png = await asyncio.to_thread(render_trend_chart, series, title)
        totals = ", ".join(f"{one.term}: {sum(one.counts)}" for one in series)
        await edit_original(interaction, "Here is the chart, posted for everyone below.")
        await reply(
            interaction, f"Mentions in the last 30 days — {totals}", ephemeral=False,
            file=discord.File(io.BytesIO(png), filename="trend.png"),
        )

    @app_commands.command(name="summarize")
    @app_commands.guild_only()
    @app_commands.describe(url="The article's web address")
    async def summarize(
        self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 1, 2048]
    ) -> None:
        """Summarise any article: the gist, who is in it, and what they said."""
        await think_privately(interaction)
        text = await self.bot.services.reading.summarize(
            url, guild_id=interaction.guild_id, member_id=interaction.user.id
        )
        await reply_privately(interaction, text)


async def setup(bot: NewsdeskGateway) -> None:
    """Load the reading commands."""
    await bot.add_cog(ReadingCommands(bot))
