"""``/follow`` and ``/filter``: topics a channel follows, and rules that narrow what is posted."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput
from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.directory import channel_kind
from bot.features.follows.replies import (
    describe_added_follow,
    describe_follow,
    describe_follows,
    describe_preview,
    describe_rules,
)
from bot.features.notify import describe_button_setting
from cogs.notify import role_access
from cogs.shared.channel_checks import ensure_bot_can_post
from cogs.shared.paging import reply_with_pages
from cogs.shared.replies import reply_privately, think_privately

Kind = Literal["keyword", "person", "organization", "place"]
Target = Literal["subscription", "follow"]


def check_pingable(role: discord.Role, pinged_for: str = "topic") -> None:
    """Refuse @everyone, and roles the bot could not actually ping (``pinged_for`` names what
    the role would be pinged for: a topic, a subscription).

    Raises:
        InvalidInput: the role cannot be pinged by Newsdesk.
    """
    if role.is_default():
        raise InvalidInput(
            f"Newsdesk never pings @everyone. Choose a role for this {pinged_for}."
        )
    me = role.guild.me
    if not role.mentionable and not me.guild_permissions.mention_everyone:
        raise InvalidInput(
            f"{role.mention} cannot be pinged by Newsdesk: make the role mentionable in "
            "Server Settings → Roles, or give Newsdesk Mention @everyone, @here, and All Roles."
        )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FollowCommands(commands.GroupCog, group_name="follow", group_description="Follow topics"):
    """Topics this server's channels follow."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="add")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        topic="A keyword or phrase, or a person, organisation or place",
        kind="What the topic is (default: keyword)",
        channel="Where matching articles are posted (default: this channel)",
        role="A role to ping for matching articles",
        feeds="Only these subscriptions, by number (e.g. 3, 7); default: all the server's feeds",
        clear_role="Stop pinging the role this follow pinged (default: keep it)",
        notify_button=(
            "Put a Notify me button under posts: members click it to take or drop the role "
            "(needs Manage Roles; default: off, or as it was)"
        ),
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        topic: app_commands.Range[str, 1, 100],
        kind: Kind = "keyword",
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        feeds: app_commands.Range[str, 1, 200] | None = None,
        clear_role: bool = False,
        notify_button: bool | None = None,
    ) -> None:
        """Post articles about a topic, from any of the server's feeds, in a channel."""
        assert interaction.guild_id is not None and interaction.guild is not None
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel):
            raise InvalidInput("Choose a text channel for the matching articles.")
        ensure_bot_can_post(target)
        if role is not None:
            check_pingable(role)
        await think_privately(interaction)
        follow, created = await self.bot.services.follows.add(
            interaction.guild_id, target.id, kind, topic,
            role_id=role.id if role else None, feeds=feeds, added_by=interaction.user.id,
            clear_role=clear_role, notify_button=notify_button,
            channel_kind=channel_kind(target),
        )
        reply_text = describe_added_follow(
            follow, created, role_given=role is not None, cleared_role=clear_role
        )
        pinged = interaction.guild.get_role(follow.role_id) if follow.role_id else None
        note = describe_button_setting(
            follow.role_id, follow.notify_button,
            role_access(pinged) if pinged is not None else None,
        )
        await reply_privately(interaction, f"{reply_text}\n{note}" if note else reply_text)

    @app_commands.command(name="list")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_follows(self, interaction: discord.Interaction[Any]) -> None:
        """List the topics this server's channels follow."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        follows = await self.bot.services.follows.list_follows(interaction.guild_id)
        await reply_with_pages(interaction, describe_follows(follows))

    @app_commands.command(name="remove")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(follow="The follow's number, as shown by /follow list")
    async def remove(
        self, interaction: discord.Interaction[Any], follow: app_commands.Range[int, 1]
    ) -> None:
        """Stop following a topic."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        removed = await self.bot.services.follows.remove(interaction.guild_id, follow)
        await reply_privately(interaction, f"Stopped: {describe_follow(removed)}")


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FilterCommands(commands.GroupCog, group_name="filter", group_description="Filter posts"):
    """Include and exclude rules on subscriptions and follows."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="add")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        target="Filter a subscription (/feed list) or a follow (/follow list)",
        number="Its number",
        action="include: post only what matches; exclude: never post what matches",
        match="word, phrase, or regex (a regular expression)",
        pattern="The word, phrase or regular expression",
        field="Where to look (default: anywhere)",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        target: Target,
        number: app_commands.Range[int, 1],
        action: Literal["include", "exclude"],
        match: Literal["word", "phrase", "regex"],
        pattern: app_commands.Range[str, 1, 300],
        field: Literal["any", "title", "text", "author", "source"] = "any",
    ) -> None:
        """Add an include or exclude rule to a subscription or a follow."""
        assert interaction.guild_id is not None
        service = self.bot.services.follows
        await think_privately(interaction)
        resolved = await service.target(interaction.guild_id, target, number)
        rule = await service.add_rule(
            interaction.guild_id, resolved, action=action, field=field, match=match,
            pattern=pattern,
        )
        await reply_privately(
            interaction,
            f"Added filter `#{rule.id}` to {resolved.label()}: {rule.describe()}. "
            f"Try it on recent articles with /filter test target:{target} number:{number}.",
        )

    @app_commands.command(name="list")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_rules(
        self, interaction: discord.Interaction[Any], target: Target,
        number: app_commands.Range[int, 1],
    ) -> None:
        """List the filters of a subscription or a follow."""
        assert interaction.guild_id is not None
        service = self.bot.services.follows
        await think_privately(interaction)
        resolved = await service.target(interaction.guild_id, target, number)
        rules = await service.rules(interaction.guild_id, resolved)
        mode = await service.mode(interaction.guild_id, resolved)
        await reply_privately(interaction, describe_rules(resolved, mode, rules))

    @app_commands.command(name="remove")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(rule="The filter's number, as shown by /filter list")
    async def remove(
        self, interaction: discord.Interaction[Any], rule: app_commands.Range[int, 1]
    ) -> None:
        """Delete a filter rule."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        await self.bot.services.follows.remove_rule(interaction.guild_id, rule)
        await reply_privately(interaction, f"Removed filter `#{rule}`.")

    @app_commands.command(name="mode")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(mode="all: every include rule must match; any: one is enough")
    async def mode(
        self, interaction: discord.Interaction[Any], target: Target,
        number: app_commands.Range[int, 1], mode: Literal["all", "any"],
    ) -> None:
        """Choose how the include rules of a subscription or follow combine."""
        assert interaction.guild_id is not None
        service = self.bot.services.follows
        await think_privately(interaction)
        resolved = await service.target(interaction.guild_id, target, number)
        await service.set_mode(interaction.guild_id, resolved, mode)
        await reply_privately(
            interaction, f"Include rules of {resolved.label()} now combine with **{mode}**."
        )

    @app_commands.command(name="test")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def test(
        self, interaction: discord.Interaction[Any], target: Target,
        number: app_commands.Range[int, 1],
    ) -> None:
        """Preview which of the last 50 articles would pass, and why."""
        assert interaction.guild_id is not None
        service = self.bot.services.follows
        await think_privately(interaction)
        resolved = await service.target(interaction.guild_id, target, number)
        lines = await service.preview(interaction.guild_id, resolved)
        await reply_with_pages(interaction, describe_preview(resolved, lines))


async def setup(bot: NewsdeskGateway) -> None:
    """Load /follow and /filter."""
    await bot.add_cog(FollowCommands(bot))
    await bot.add_cog(FilterCommands(bot))
