"""``/search``: full-text search of the server's articles, a page at a time."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.client import NewsdeskGateway
from bot.features.search.search import SearchPage, describe_search_page
from cogs.shared.paging import PageButtons, send_paged
from cogs.shared.replies import think_privately


class SearchPages(PageButtons):
    """Previous/next buttons under a page of results, for the person who searched."""

    refusal = "Run /search yourself to page through results."
    context = "view=search-pages"

    def __init__(
        self, bot: NewsdeskGateway, invoker_id: int, guild_id: int, result: SearchPage,
        subscription: int | None, days: int | None,
    ) -> None:
        super().__init__(invoker_id, page=result.page)
        self.bot, self.guild_id = bot, guild_id
        self.result, self.subscription, self.days = result, subscription, days
        self.update_buttons()

    @property
    def page_count(self) -> int:
        """Return how many pages the results fill."""
        return self.result.pages

    async def render(self, page: int) -> str:
        """Search again for ``page`` and render it."""
        self.result = await self.bot.services.search.search(
            self.guild_id, self.result.query, subscription=self.subscription, days=self.days,
            page=page,
        )
        return describe_search_page(self.result)


class SearchCommand(commands.Cog):
    """``/search``, open to every member."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot

    @app_commands.command(name="search")
    @app_commands.guild_only()
    @app_commands.describe(
        query='Words to find (all must appear); "quote a phrase"',
        subscription="Only this subscription's articles (its number from /feed list)",
        days="Only the last N days",
    )
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, 200],
        subscription: app_commands.Range[int, 1] | None = None,
        days: app_commands.Range[int, 1, 3650] | None = None,
    ) -> None:
        """Search the articles this server's feeds brought in."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        result = await self.bot.services.search.search(
            interaction.guild_id, query, subscription=subscription, days=days
        )
        view = SearchPages(
            self.bot, interaction.user.id, interaction.guild_id, result, subscription, days
        )
        await send_paged(interaction, describe_search_page(result), view)


async def setup(bot: NewsdeskGateway) -> None:
    """Load /search."""
    await bot.add_cog(SearchCommand(bot))
