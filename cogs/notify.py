"""Members choose their pings: the "Notify me" button under posts, and ``/notify list``."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.sender import NOTIFY_BUTTON_PREFIX, notify_button
from bot.features.notify import (
    NOT_OFFERED,
    ROLE_GONE,
    RoleAccess,
    cannot_give,
    describe_notification_roles,
    describe_toggle,
)
from cogs.backend.errors import answer_error
from cogs.shared.replies import reply_privately, think_privately


def role_access(role: discord.Role) -> RoleAccess:
    """What Discord lets Newsdesk do with ``role`` (Manage Roles, and the role hierarchy)."""
    me = role.guild.me
    return RoleAccess(
        manage_roles=me.guild_permissions.manage_roles,
        below_bot=role < me.top_role or role.guild.owner_id == me.id,
        assignable=not role.is_default() and not role.managed,
    )


class NotifyButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.escape(NOTIFY_BUTTON_PREFIX) + r"(?P<role_id>[0-9]{1,20})",
):
    """The "Notify me" button under a post: gives its role to whoever clicks, or takes it."""

    def __init__(self, role_id: int) -> None:
        super().__init__(notify_button(role_id))
        self.role_id = role_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> NotifyButton:
        """Rebuild the button from its custom id (works across restarts)."""
        return cls(int(match["role_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Toggle the role for the member who clicked and tell them privately."""
        client = interaction.client
        assert isinstance(client, NewsdeskGateway)
        try:
            member = interaction.user
            if interaction.guild is None or not isinstance(member, discord.Member):
                await reply_privately(interaction, "Roles are given inside a server.")
                return
            await think_privately(interaction)
            answer = await self._toggle(client, interaction.guild, member)
            await reply_privately(interaction, answer)
        except Exception as error:  # noqa: BLE001 (answer_error logs bugs with context)
            await answer_error(interaction, error, f"button=notify role_id={self.role_id}")

    async def _toggle(
        self, client: NewsdeskGateway, guild: discord.Guild, member: discord.Member
    ) -> str:
        # Only a role this server both pings and offers: the custom id alone proves nothing.
        if not await client.services.notify.offers(guild.id, self.role_id):
            return NOT_OFFERED
        role = guild.get_role(self.role_id)
        if role is None:
            return ROLE_GONE
        problem = cannot_give(role.id, role_access(role))
        if problem is not None:
            return f"Newsdesk cannot give you this role yet. {problem}"
        held = member.get_role(role.id) is not None
        try:
            if held:
                await member.remove_roles(role, reason="Notify me button")
            else:
                await member.add_roles(role, reason="Notify me button")
        except discord.Forbidden:
            # Permissions changed after the cache saw them: say what Discord expects.
            return (
                "Discord refused to change your roles: Newsdesk needs Manage Roles and a "
                f"role above {role.mention}. Ask a server admin."
            )
        return describe_toggle(role.id, given=not held)


@app_commands.guild_only()
class NotifyCommands(
    commands.GroupCog, group_name="notify", group_description="Your notification roles"
):
    """A member's own notification roles."""

    def __init__(self, bot: NewsdeskGateway) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        """Route clicks on every post's "Notify me" button here, including older posts."""
        self.bot.add_dynamic_items(NotifyButton)

    async def cog_unload(self) -> None:
        """Stop handling "Notify me" clicks."""
        self.bot.remove_dynamic_items(NotifyButton)

    @app_commands.command(name="list")
    async def list_roles(self, interaction: discord.Interaction[Any]) -> None:
        """Show the roles Newsdesk pings here that you hold, and the ones you can take."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        pinged = await self.bot.services.notify.pinged_roles(interaction.guild_id)
        member = interaction.user
        held = {role.id for role in member.roles} if isinstance(member, discord.Member) else set()
        await reply_privately(interaction, describe_notification_roles(pinged, held))


async def setup(bot: NewsdeskGateway) -> None:
    """Load the notify commands and the "Notify me" button."""
    await bot.add_cog(NotifyCommands(bot))
