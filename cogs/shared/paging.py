"""Previous/Next buttons under a reply too long for one message, for the member who asked.

Rules: a reply that fits one page is sent without buttons (no disabled pair to puzzle over);
otherwise Previous is disabled on the first page and Next on the last. Every paged reply
(``/search``, ``/feed status``, ``/feed list``, ``/filter test``, ``/follow list``,
``/digest now``) uses these same buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from cogs.shared.replies import defer_update, reply, update_message
from cogs.shared.views import InvokerView

PAGES_TIMEOUT_SECONDS = 600


class PageButtons(InvokerView):
    """Turn the pages of a reply; subclasses say how many there are and what each shows."""

    refusal = "Run the command yourself to page through its reply."
    context = "view=pages"

    def __init__(self, invoker_id: int, *, page: int = 1) -> None:
        super().__init__(invoker_id, timeout=PAGES_TIMEOUT_SECONDS)
        self.page = page

    @property
    def page_count(self) -> int:
        """Return how many pages the reply has."""
        raise NotImplementedError

    async def render(self, page: int) -> str:
        """Return the text of ``page`` (1-based)."""
        raise NotImplementedError

    def update_buttons(self) -> None:
        """Disable the button that would leave the pages."""
        self.previous_page.disabled = self.page <= 1
        self.next_page.disabled = self.page >= self.page_count

    async def _show(self, interaction: discord.Interaction[Any], page: int) -> None:
        await defer_update(interaction)
        page = min(max(page, 1), self.page_count)
        content = await self.render(page)
        self.page = page
        self.update_buttons()
        await update_message(
            interaction, content, view=self, allowed_mentions=discord.AllowedMentions.none()
        )

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous_page(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[PageButtons]
    ) -> None:
        """Show the previous page."""
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next_page(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[PageButtons]
    ) -> None:
        """Show the next page."""
        await self._show(interaction, self.page + 1)


class ReadyPages(PageButtons):
    """Buttons over pages already written (a reply built once, then split)."""

    def __init__(self, invoker_id: int, pages: Sequence[str]) -> None:
        super().__init__(invoker_id)
        self.pages = list(pages)
        self.update_buttons()

    @property
    def page_count(self) -> int:
        """Return how many pages the reply has."""
        return len(self.pages)

    async def render(self, page: int) -> str:
        """Return the text of ``page``."""
        return self.pages[page - 1]


async def send_paged(
    interaction: discord.Interaction[Any], first_page: str, view: PageButtons
) -> None:
    """Reply privately with the first page, and the buttons only when there is another."""
    if view.page_count <= 1:
        view.stop()
        await reply(interaction, first_page)
        return
    await reply(interaction, first_page, view=view)


async def reply_with_pages(interaction: discord.Interaction[Any], pages: Sequence[str]) -> None:
    """Reply privately with pages already written, with buttons when there are several."""
    await send_paged(interaction, pages[0], ReadyPages(interaction.user.id, pages))
