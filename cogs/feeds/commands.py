"""``/feed``: follow, list and stop following feeds. Manage Server required, checked here too."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.text import plural
from bot.discord_io import markup
from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.directory import channel_kind
from bot.features.feeds.discovery import SeveralFeedsFound
from bot.features.feeds.replies import (
    describe_added_feed,
    describe_status,
    describe_subscriptions,
    shown_title,
)
from cogs.feeds.choice import FeedChoiceView
from cogs.feeds.files import FeedFileCommands
from cogs.feeds.forum_tags import FeedTagCommands, forum_tag_choices, forum_tag_line, tag_named
from cogs.feeds.options import FeedOptionCommands
from cogs.feeds.subscription_choices import subscription_choices
from cogs.shared.channel_checks import ensure_bot_can_post
from cogs.shared.paging import reply_with_pages
from cogs.shared.replies import reply, reply_privately, think_privately


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedCommands(
    FeedOptionCommands, FeedFileCommands, FeedTagCommands, commands.GroupCog,
    group_name="feed", group_description="Follow news feeds",
):
    """Feed subscriptions of this server."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="add")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        url="The feed's address (RSS, Atom, RDF or JSON Feed)",
        channel="The channel (or forum) where new articles will be posted",
        backfill="Also post the feed's latest N items now (0-10, default 0)",
        tag="In a forum: the tag its posts carry (default: one named like the feed, else the "
        "first)",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 1, 2048],
        channel: discord.TextChannel | discord.ForumChannel,
        backfill: app_commands.Range[int, 0, 10] = 0,
        tag: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        """Follow a feed in a channel; only articles published from now on are posted."""
        assert interaction.guild_id is not None
        ensure_bot_can_post(channel)
        tag_id = None if tag is None else tag_named(channel, tag)
        await think_privately(interaction)
        guild_id, user_id = interaction.guild_id, interaction.user.id

        async def follow(answering: discord.Interaction[Any], address: str) -> None:
            await think_privately(answering)
            added = await self.bot.services.subscriptions.add(
                guild_id, channel.id, address, added_by=user_id, backfill=backfill,
                forum_tag_id=tag_id, channel_kind=channel_kind(channel),
            )
            if added.backfill or added.queued_outbox_ids:
                await self.bot.posts_queued()
            if not added.already_existed:
                await self.bot.feeds_changed()
            chosen = await self.bot.services.subscriptions.forum_tag_of(
                guild_id, added.subscription.id
            )
            tagged = forum_tag_line(channel, chosen, added.feed_title)
            text = describe_added_feed(added)
            await reply_privately(answering, f"{text}\n{tagged}" if tagged else text)

        try:
            await follow(interaction, url)
        except SeveralFeedsFound as several:
            view = FeedChoiceView(user_id, several.candidates, follow)
            await reply(interaction, several.message, view=view)

    @add.autocomplete("tag")
    async def add_tag_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the tags of the forum chosen in ``channel``."""
        chosen = getattr(interaction.namespace, "channel", None)
        if interaction.guild is None or chosen is None:
            return []
        return await forum_tag_choices(interaction.guild.get_channel(chosen.id), current)

    @app_commands.command(name="list")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="Only this subscription (its number); default: all")
    async def list_feeds(
        self, interaction: discord.Interaction[Any],
        subscription: app_commands.Range[int, 1] | None = None,
    ) -> None:
        """List the feeds this server follows, with their numbers and channels."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        service = self.bot.services.subscriptions
        summaries = (
            await service.list_subscriptions(interaction.guild_id) if subscription is None
            else [await service.get(interaction.guild_id, subscription)]
        )
        await reply_with_pages(interaction, describe_subscriptions(summaries))

    @app_commands.command(name="status")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="Only this subscription (its number); default: all")
    async def status(
        self, interaction: discord.Interaction[Any],
        subscription: app_commands.Range[int, 1] | None = None,
    ) -> None:
        """Show each feed's health: state, last success, next check, errors, recent items."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        statuses = await self.bot.services.subscriptions.status(
            interaction.guild_id, subscription
        )
        await reply_with_pages(interaction, describe_status(statuses))

    @app_commands.command(name="refresh")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def refresh(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1]
    ) -> None:
        """Check one feed now (at most once a minute per feed); resumes a disabled feed."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        services = self.bot.services
        feed = await services.subscriptions.feed_to_refresh(interaction.guild_id, subscription)
        outcome = await services.poller.refresh(feed)
        if outcome.error is not None:
            await reply_privately(
                interaction,
                f"Checked **{shown_title(feed.title)}** now: it failed. {outcome.error}",
            )
            return
        await self.bot.posts_queued()
        await reply_privately(
            interaction,
            f"Checked **{shown_title(feed.title)}** now: {plural(outcome.queued, 'new post')}.",
        )

    @app_commands.command(name="why")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(url="The article's web address")
    async def why(
        self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 1, 2048]
    ) -> None:
        """Explain what happened to an article in this server: posted, skipped, or why not."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        text = await self.bot.services.stories.explain(interaction.guild_id, url)
        await reply_privately(interaction, text)

    @app_commands.command(name="preview")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def preview(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1]
    ) -> None:
        """Show what the feed's latest 20 items did or would do here: posted, filtered, too old…"""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        pages = await self.bot.services.delivery_preview.preview(
            interaction.guild_id, subscription
        )
        await reply_with_pages(interaction, pages)

    @app_commands.command(name="remove")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def remove(
        self,
        interaction: discord.Interaction[Any],
        subscription: app_commands.Range[int, 1],
    ) -> None:
        """Stop following a feed in a channel."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        removed = await self.bot.services.subscriptions.remove(interaction.guild_id, subscription)
        await reply_privately(
            interaction,
            f"Stopped following **{shown_title(removed.feed_title)}** in "
            f"{markup.channel(removed.subscription.channel_id)}. "
            "Nothing more from it will be posted there.",
        )

    @refresh.autocomplete("subscription")
    @remove.autocomplete("subscription")
    @list_feeds.autocomplete("subscription")
    @preview.autocomplete("subscription")
    @status.autocomplete("subscription")
    async def remove_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer this server's subscriptions whose title or URL contains what was typed."""
        return await subscription_choices(self.bot, interaction, current)


async def setup(bot: NewsdeskGateway) -> None:
    """Load the /feed commands."""
    await bot.add_cog(FeedCommands(bot))
