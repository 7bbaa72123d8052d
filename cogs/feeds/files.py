"""``/feed import`` and ``/feed export``: OPML in and out.

A mixin of ``cogs.feeds.commands.FeedCommands`` (discord.py collects a group's commands from its
bases), kept apart so each module stays readable.
"""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput
from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.directory import channel_kind
from bot.features.feeds.opml import MAX_OPML_BYTES, OpmlFeed, write_opml
from bot.features.feeds.opml_import import import_opml
from cogs.shared.channel_checks import channel_name, ensure_bot_can_post
from cogs.shared.progress import ProgressReporter
from cogs.shared.replies import (
    edit_original,
    interaction_gone,
    post_for,
    reply,
    text_file,
    think_privately,
)


class FeedFileCommands(commands.Cog):
    """OPML commands of ``/feed``."""

    bot: NewsdeskGateway

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
        await think_privately(interaction)
        data = await file.read()
        reporter = ProgressReporter(interaction, "Importing")
        report = await import_opml(
            self.bot.services.subscriptions, interaction.guild_id, channel.id, data,
            added_by=interaction.user.id, progress=reporter.update,
            channel_kind=channel_kind(channel),
        )
        if report.count("added"):
            await self.bot.feeds_changed()
        summary = (
            f"Imported {file.filename} into {channel.mention}: {report.count('added')} added, "
            f"{report.count('skipped')} skipped, {report.count('failed')} failed. "
            "The attached report lists every address."
        )
        listing = report.as_text() or "(no feeds)"
        try:
            await edit_original(
                interaction, summary, attachments=[text_file("import-report.txt", listing)]
            )
        except discord.HTTPException as error:
            if not interaction_gone(error):
                raise
            # The interaction's 15 minutes are over (a long import): Discord takes no more
            # edits or follow-ups, so the report goes to the channel the feeds were imported
            # into, where Newsdesk may post, naming the admin who asked.
            await post_for(
                channel, interaction.user, summary, file=text_file("import-report.txt", listing)
            )

    @app_commands.command(name="export")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def export_feeds(self, interaction: discord.Interaction[Any]) -> None:
        """Download this server's feeds as an OPML file, grouped by channel."""
        assert interaction.guild is not None
        await think_privately(interaction)
        summaries = await self.bot.services.subscriptions.list_subscriptions(interaction.guild.id)
        feeds = [
            OpmlFeed(url=summary.feed_url, title=summary.feed_title or None,
                     category=channel_name(interaction.guild, summary.subscription.channel_id))
            for summary in summaries
        ]
        document = write_opml(f"{interaction.guild.name} feeds (Newsdesk)", feeds)
        await reply(
            interaction, f"This server's {len(feeds)} subscriptions as OPML:",
            file=discord.File(io.BytesIO(document), filename="newsdesk-feeds.opml"),
        )

