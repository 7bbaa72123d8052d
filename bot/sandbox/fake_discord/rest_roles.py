"""Giving and taking a member's role: ``PUT``/``DELETE /guilds/{g}/members/{u}/roles/{r}``.

What Discord does:
- 204 with no body; giving a role the member holds (or taking one they lack) is a 204 too;
- 404 10004 Unknown Guild, 10007 Unknown Member, 10011 Unknown Role;
- 403 50013 Missing Permissions when the bot lacks Manage Roles (Administrator holds it),
  or when the role is not below the bot's highest role (the guild owner has no such limit),
  or when the role is @everyone or a bot's managed role.

No GUILD_MEMBER_UPDATE is sent: Discord sends it only to bots with the privileged Server
Members intent, which Newsdesk does not ask for.
"""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.fake_discord import permissions as perms
from bot.sandbox.fake_discord.responses import discord_error, no_content, snowflake_param
from bot.sandbox.fake_discord.state import STATE


async def _set_member_role(request: web.Request, *, held: bool) -> web.Response:
    state = request.app[STATE]
    world = state.world
    guild = world.guild(snowflake_param(request, "guild_id") or 0)
    if guild is None:
        return discord_error(404, 10004, "Unknown Guild")
    user_id = snowflake_param(request, "user_id") or 0
    if user_id not in guild.members:
        return discord_error(404, 10007, "Unknown Member")
    role = guild.role(snowflake_param(request, "role_id") or 0)
    if role is None:
        return discord_error(404, 10011, "Unknown Role")
    bot_id = world.bot_user_id
    may_manage = perms.has_all(world.base_permissions(guild, bot_id), perms.MANAGE_ROLES)
    below_bot = bot_id == guild.owner_id or role.position < guild.highest_position(bot_id)
    assignable = role.id != guild.id and role.bot_id is None
    if not (may_manage and below_bot and assignable):
        return discord_error(403, 50013, "Missing Permissions")
    guild.set_member_role(user_id, role.id, held=held)
    return no_content()


async def add_member_role(request: web.Request) -> web.Response:
    """PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}."""
    return await _set_member_role(request, held=True)


async def remove_member_role(request: web.Request) -> web.Response:
    """DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}."""
    return await _set_member_role(request, held=False)
