"""``/feed``: follow, list and stop following feeds. Manage Server required, checked here too."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot import NewsdeskBot
from bot.errors import InvalidInput
from bot.feed_discovery import SeveralFeedsFound
from bot.feed_listing import describe_added_feed, describe_status, describe_subscriptions
from bot.opml import MAX_OPML_BYTES, OpmlFeed, write_opml
from bot.opml_import import import_opml
from cogs.channel_checks import channel_name, ensure_bot_can_post
from cogs.feed_choice import FeedChoiceView
from cogs.progress import ProgressReporter
from cogs.replies import reply_privately, text_file


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedCommands(commands.GroupCog, group_name="feed", group_description="Follow news feeds"):
    """Feed subscriptions of this server."""

    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="add")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        url="The feed's address (RSS, Atom, RDF or JSON Feed)",
        channel="The channel where new articles will be posted",
        backfill="Also post the feed's latest N items now (0-10, default 0)",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 1, 2048],
        channel: discord.TextChannel,
        backfill: app_commands.Range[int, 0, 10] = 0,
    ) -> None:
        """Follow a feed in a channel; only articles published from now on are posted."""
        assert interaction.guild_id is not None
        ensure_bot_can_post(channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, user_id = interaction.guild_id, interaction.user.id

        async def follow(answering: discord.Interaction[Any], address: str) -> None:
            if not answering.response.is_done():
                await answering.response.defer(ephemeral=True, thinking=True)
            added = await self.bot.services.subscriptions.add(
                guild_id, channel.id, address, added_by=user_id, backfill=backfill
            )
            if added.backfill or added.queued_outbox_ids:
                self.bot.new_posts_queued()
            await reply_privately(answering, describe_added_feed(added))

        try:
            await follow(interaction, url)
        except SeveralFeedsFound as several:
            view = FeedChoiceView(user_id, several.candidates, follow)
            await interaction.followup.send(several.message, view=view, ephemeral=True)

    @app_commands.command(name="list")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_feeds(self, interaction: discord.Interaction[Any]) -> None:
        """List the feeds this server follows, with their numbers and channels."""
        assert interaction.guild_id is not None
        service = self.bot.services.subscriptions
        views = await service.list_subscriptions(interaction.guild_id)
        await reply_privately(interaction, describe_subscriptions(views))

    @app_commands.command(name="status")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Show each feed's health: state, last success, next check, errors, recent items."""
        assert interaction.guild_id is not None
        statuses = await self.bot.services.subscriptions.status(interaction.guild_id)
        await reply_privately(interaction, describe_status(statuses))

    @app_commands.command(name="refresh")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def refresh(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1]
    ) -> None:
        """Check one feed now (at most once a minute per feed); resumes a disabled feed."""
        assert interaction.guild_id is not None
        services = self.bot.services
        feed = await services.subscriptions.feed_to_refresh(interaction.guild_id, subscription)
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await services.poller.refresh(feed)
        if outcome.error is not None:
            await reply_privately(
                interaction, f"Checked **{feed.title}** now: it failed. {outcome.error}"
            )
            return
        self.bot.new_posts_queued()
        plural = "s" if outcome.queued != 1 else ""
        await reply_privately(
            interaction, f"Checked **{feed.title}** now: {outcome.queued} new post{plural}."
        )

    @app_commands.command(name="interval")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        minutes="How often to check the feed (2-1440); leave out to go back to the default",
    )
    async def interval(
        self,
        interaction: discord.Interaction[Any],
        subscription: app_commands.Range[int, 1],
        minutes: app_commands.Range[int, 2, 1440] | None = None,
    ) -> None:
        """Choose how often a feed is checked for this server."""
        assert interaction.guild_id is not None
        view, effective = await self.bot.services.subscriptions.set_interval(
            interaction.guild_id, subscription, minutes
        )
        asked = "the default interval" if minutes is None else f"every {minutes} minutes"
        await reply_privately(
            interaction,
            f"Subscription #{view.subscription.id} asks for **{view.feed_title}** {asked}; "
            f"the feed is now checked every {effective // 60} minutes (the shortest interval "
            "any server following it asks for).",
        )

    @app_commands.command(name="enable")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def enable(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1]
    ) -> None:
        """Resume posting a subscription that Newsdesk had to stop."""
        assert interaction.guild_id is not None
        view = await self.bot.services.subscriptions.enable(interaction.guild_id, subscription)
        await reply_privately(
            interaction,
            f"Posting **{view.feed_title}** in <#{view.subscription.channel_id}> again; new "
            "articles will appear there from now on.",
        )

    @app_commands.command(name="why")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(url="The article's web address")
    async def why(
        self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 1, 2048]
    ) -> None:
        """Explain what happened to an article in this server: posted, skipped, or why not."""
        assert interaction.guild_id is not None
        text = await self.bot.services.subscriptions.explain(interaction.guild_id, url)
        await reply_privately(interaction, text)

    @app_commands.command(name="copies")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        post="Post copies of stories already posted in the channel (default: no)",
    )
    async def copies(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1],
        post: bool,
    ) -> None:
        """Choose whether this feed posts stories the channel already has from another source."""
        assert interaction.guild_id is not None
        view = await self.bot.services.subscriptions.set_post_copies(
            interaction.guild_id, subscription, post
        )
        what = "posts every copy" if post else "adds copies to the story's post instead"
        await reply_privately(
            interaction, f"**{view.feed_title}** in <#{view.subscription.channel_id}> now {what}."
        )

    @app_commands.command(name="import")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        file="An OPML file exported from a feed reader",
        channel="The channel where the imported feeds will post",
    )
    async def import_feeds(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        channel: discord.TextChannel,
    ) -> None:
        """Follow every feed of an OPML file in a channel, and report each address."""
        assert interaction.guild_id is not None
        ensure_bot_can_post(channel)
        if file.size > MAX_OPML_BYTES:
            raise InvalidInput("That OPML file is larger than 2 MB. Split it into smaller files.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        reporter = ProgressReporter(interaction, "Importing")
        report = await import_opml(
            self.bot.services.subscriptions, interaction.guild_id, channel.id, data,
            added_by=interaction.user.id, progress=reporter.update,
        )
        summary = (
            f"Imported {file.filename} into {channel.mention}: {report.count('added')} added, "
            f"{report.count('skipped')} skipped, {report.count('failed')} failed. "
            "The attached report lists every address."
        )
        await interaction.edit_original_response(
            content=summary,
            attachments=[text_file("import-report.txt", report.as_text() or "(no feeds)")],
        )

    @app_commands.command(name="export")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def export_feeds(self, interaction: discord.Interaction[Any]) -> None:
        """Download this server's feeds as an OPML file, grouped by channel."""
        assert interaction.guild is not None
        views = await self.bot.services.subscriptions.list_subscriptions(interaction.guild.id)
        feeds = [
            OpmlFeed(url=view.feed_url, title=view.feed_title or None,
                     category=channel_name(interaction.guild, view.subscription.channel_id))
            for view in views
        ]
        document = write_opml(f"{interaction.guild.name} feeds (Newsdesk)", feeds)
        await interaction.response.send_message(
            f"This server's {len(feeds)} subscriptions as OPML:",
            file=discord.File(io.BytesIO(document), filename="newsdesk-feeds.opml"),
            ephemeral=True,
        )

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
        removed = await self.bot.services.subscriptions.remove(interaction.guild_id, subscription)
        await reply_privately(
            interaction,
            f"Stopped following **{removed.feed_title}** in "
            f"<#{removed.subscription.channel_id}>. Nothing more from it will be posted there.",
        )

    @copies.autocomplete("subscription")
    @enable.autocomplete("subscription")
    @interval.autocomplete("subscription")
    @refresh.autocomplete("subscription")
    @remove.autocomplete("subscription")
    async def remove_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer this server's subscriptions whose title or URL contains what was typed."""
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return []  # discord.py runs no command checks for autocomplete
        typed = current.strip().lower()
        choices: list[app_commands.Choice[int]] = []
        for view in await self.bot.services.subscriptions.list_subscriptions(interaction.guild_id):
            label = f"#{view.subscription.id} {view.feed_title or view.feed_url}"[:100]
            if typed in label.lower() or typed in view.feed_url.lower():
                choices.append(app_commands.Choice(name=label, value=view.subscription.id))
        return choices[:25]


async def setup(bot: NewsdeskBot) -> None:
    """Load the /feed commands."""
    await bot.add_cog(FeedCommands(bot))
