"""``/digest``: the top stories of the past day or week, on a schedule or now."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.models import DigestSchedule
from bot.discord_io import markup
from bot.discord_io.client import NewsdeskGateway
from bot.features.digests import WEEKDAYS
from cogs.shared.channel_checks import ensure_bot_can_post
from cogs.shared.paging import reply_with_pages
from cogs.shared.replies import reply_privately, think_privately

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def describe_schedule(digest: DigestSchedule) -> str:
    """Say when a channel's digest runs."""
    when = f"{digest.at_minute // 60:02d}:{digest.at_minute % 60:02d} {digest.timezone}"
    if digest.frequency == "weekly" and digest.weekday is not None:
        when = f"{WEEKDAYS[digest.weekday].capitalize()}s at {when}"
    else:
        when = f"every day at {when}"
    return f"{markup.channel(digest.channel_id)}: {when} · next {markup.moment(digest.next_run_at)}"


@app_commands.guild_only()
class DigestCommands(commands.GroupCog, group_name="digest", group_description="Digests"):
    """Scheduled and on-demand digests."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="schedule")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where the digest is posted",
        frequency="daily, or weekly on a weekday",
        time="Local time, HH:MM (24-hour)",
        timezone="The server's time zone, e.g. Europe/Berlin (default UTC)",
        weekday="For weekly digests: the day",
    )
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        frequency: Literal["daily", "weekly"],
        time: app_commands.Range[str, 3, 5],
        timezone: app_commands.Range[str, 1, 64] = "UTC",
        weekday: Weekday | None = None,
    ) -> None:
        """Post the top stories in a channel every day or every week."""
        assert interaction.guild_id is not None
        ensure_bot_can_post(channel)
        await think_privately(interaction)
        digest = await self.bot.services.digests.schedule(
            interaction.guild_id, channel.id, frequency=frequency, time_of_day=time,
            timezone=timezone, weekday=weekday, created_by=interaction.user.id,
        )
        await reply_privately(interaction, f"Digest scheduled: {describe_schedule(digest)}")

    @app_commands.command(name="now")
    @app_commands.describe(days="How many days back (default 1)")
    async def now(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 30] = 1
    ) -> None:
        """Preview a digest of the top stories right now."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        pages = await self.bot.services.digests.compose_pages(interaction.guild_id, days)
        await reply_with_pages(
            interaction, pages or ["No stories in this server's feeds in that period yet."]
        )

    @app_commands.command(name="list")
    async def list_digests(self, interaction: discord.Interaction[Any]) -> None:
        """List this server's scheduled digests."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        schedules = await self.bot.services.digests.list_schedules(interaction.guild_id)
        lines = [describe_schedule(digest) for digest in schedules]
        empty = "No digests are scheduled. Add one with /digest schedule."
        await reply_privately(interaction, "\n".join(lines) or empty)

    @app_commands.command(name="stop")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def stop(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel
    ) -> None:
        """Stop a channel's scheduled digest."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        stopped = await self.bot.services.digests.stop(interaction.guild_id, channel.id)
        await reply_privately(
            interaction,
            f"Stopped the digest in {channel.mention}." if stopped
            else f"{channel.mention} has no scheduled digest.",
        )


async def setup(bot: NewsdeskGateway) -> None:
    """Load /digest."""
    await bot.add_cog(DigestCommands(bot))
