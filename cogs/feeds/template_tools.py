"""The tools under ``/feed template``'s answer: a menu of ready templates and a test post.

A ready template chosen from the menu is previewed like a typed one (Save / Cancel). The test
post sends the subscription's latest article to its channel exactly as its next post would
look, under "Test post:", pinging no one; nothing records it as the article's delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core.text import trim_text
from bot.discord_io import markup
from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.earlier_posts import destination
from bot.discord_io.embeds import post_embed
from bot.discord_io.sender import post_tag
from bot.pipeline.deliver.templates import READY_TEMPLATES, TEST_POST_HEADING
from cogs.shared.replies import reply_privately, think_privately
from cogs.shared.views import InvokerView

log = logging.getLogger(__name__)

TOOLS_TIMEOUT_SECONDS = 300
THREAD_NAME_LIMIT = 100

ShowPreview = Callable[[discord.Interaction[Any], int, str], Awaitable[None]]


class TemplateToolsView(InvokerView):
    """Pick a ready template to preview, or send a test post; for the admin who asked."""

    refusal = "Only the person who ran /feed template can use these."
    context = "view=template-tools"
    required_permission = "manage_guild"

    def __init__(
        self, bot: NewsdeskGateway, invoker_id: int, guild_id: int, subscription: int,
        show_preview: ShowPreview,
    ) -> None:
        super().__init__(invoker_id, timeout=TOOLS_TIMEOUT_SECONDS)
        self.bot, self.guild_id, self.subscription = bot, guild_id, subscription
        self.show_preview = show_preview
        menu: discord.ui.Select[TemplateToolsView] = discord.ui.Select(
            placeholder="Start from a ready template",
            options=[
                discord.SelectOption(
                    label=name, value=str(position),
                    description=trim_text(template.replace("\n", " "), 100),
                )
                for position, (name, template) in enumerate(READY_TEMPLATES)
            ],
        )
        menu.callback = self._chosen  # type: ignore[method-assign]
        self.menu = menu
        self.add_item(menu)

    async def _chosen(self, interaction: discord.Interaction[Any]) -> None:
        _name, template = READY_TEMPLATES[int(self.menu.values[0])]
        await think_privately(interaction)
        await self.show_preview(interaction, self.subscription, template)

    @discord.ui.button(label="Send a test post", style=discord.ButtonStyle.secondary)
    async def send_test(
        self, interaction: discord.Interaction[Any],
        _button: discord.ui.Button[TemplateToolsView],
    ) -> None:
        """Post the feed's latest article once, marked as a test."""
        await think_privately(interaction)
        post = await self.bot.services.subscriptions.test_post(self.guild_id, self.subscription)
        embed = post_embed(post.card)
        where = markup.channel(post.channel_id)
        try:
            channel = await destination(self.bot, post.channel_id)
            if isinstance(channel, discord.ForumChannel):
                tag = post_tag(channel, post.forum_tag_id, post.source)
                await channel.create_thread(
                    name=trim_text(f"{TEST_POST_HEADING} {post.title}", THREAD_NAME_LIMIT),
                    applied_tags=[tag] if tag is not None else discord.utils.MISSING,
                    content=post.content,
                    embed=embed if embed is not None else discord.utils.MISSING,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            elif isinstance(channel, discord.abc.Messageable):
                await channel.send(
                    post.content, embeds=[embed] if embed is not None else [],
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            else:
                await reply_privately(
                    interaction, f"Newsdesk cannot post in {where}: choose a text or forum "
                    "channel with /feed add.",
                )
                return
        except discord.Forbidden:
            await reply_privately(
                interaction, f"Discord refused the test post in {where}: give Newsdesk Send "
                "Messages and Embed Links there, then try again.",
            )
            return
        except discord.HTTPException as refused:
            log.warning(
                "test post refused guild_id=%s subscription=%s status=%s",
                self.guild_id, self.subscription, refused.status,
            )
            await reply_privately(
                interaction, f"Discord refused the test post in {where} "
                f"(status {refused.status}); try again in a minute.",
            )
            return
        await reply_privately(
            interaction, f"Posted a test post of **{trim_text(post.title, 200)}** in {where}. "
            "It is not recorded as the article's delivery, so the article is posted as usual "
            "if it is new.",
        )
