"""Members choose their pings: the "Notify me" button under posts that ping a role, and
``/notify list``.

A subscription (``/feed ping``) or a follow (``/follow add``) that pings a role may offer it
to members: its posts then carry a "Notify me" button that gives the role to whoever clicks,
or takes it back. The button is off unless an admin turns it on (``notify_button:true``),
because it lets every member change their own roles. A click only ever toggles a role that
one of this server's subscriptions or follows both pings and offers, whatever the button's
custom id says, so a forged button cannot hand out another role.

Giving a role needs Discord's Manage Roles permission, and the role must sit below
Newsdesk's highest role; the sentences here say so, for the admin who turns the button on and
for the member who clicks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.core.text import plural
from bot.discord_io import markup
from storage import Repositories

ROLES_SETTINGS = "Server Settings → Roles"


@dataclass(frozen=True)
class RoleAccess:
    """What Discord lets Newsdesk do with one role, as the cog sees it."""

    manage_roles: bool
    """Newsdesk has the Manage Roles permission in the server."""
    below_bot: bool
    """The role is below Newsdesk's highest role."""
    assignable: bool = True
    """The role is neither @everyone nor managed by a bot or an integration."""


@dataclass(frozen=True)
class PingedRole:
    """A role some of the server's subscriptions or follows ping."""

    role_id: int
    offered: bool
    """At least one of them offers it through a "Notify me" button."""


def cannot_give(role_id: int, access: RoleAccess) -> str | None:
    """Say why Newsdesk cannot give or take role ``role_id``, and how an admin fixes it
    (None: it can)."""
    role = markup.role(role_id)
    if not access.assignable:
        return (
            f"{role} is managed by Discord or an integration, so no bot can give it; "
            "choose another role to ping."
        )
    if not access.manage_roles:
        return (
            f"Newsdesk needs the Manage Roles permission to give {role} to members: a server "
            f"admin can grant it in {ROLES_SETTINGS}."
        )
    if not access.below_bot:
        return (
            f"Newsdesk can only give roles below its own highest role: a server admin can "
            f"drag Newsdesk's role above {role} in {ROLES_SETTINGS}."
        )
    return None


def describe_button_setting(role_id: int | None, offered: bool, access: RoleAccess | None) -> str:
    """The sentence ``/feed ping`` and ``/follow add`` add about the "Notify me" button
    (empty when it is off and nothing needs saying)."""
    if not offered:
        return ""
    if role_id is None:
        return (
            "Posts will carry a **Notify me** button once a role is pinged (role:@name)."
        )
    problem = cannot_give(role_id, access) if access is not None else None
    if problem is not None:
        return f"Posts carry a **Notify me** button, but it cannot work yet. {problem}"
    return (
        f"Posts carry a **Notify me** button: members click it to get "
        f"{markup.role(role_id)}, and click again to drop it."
    )


def describe_toggle(role_id: int, given: bool) -> str:
    """The private answer to a member's "Notify me" click."""
    role = markup.role(role_id)
    if given:
        return (
            f"You now have {role}: you will be pinged for these posts. Click **Notify me** "
            "again to stop."
        )
    return (
        f"You no longer have {role}: these posts will not ping you. Click **Notify me** "
        "again to get it back."
    )


NOT_OFFERED = (
    "This button no longer gives a role: the server stopped offering it. "
    "/notify list shows the roles you can take."
)
ROLE_GONE = "That role no longer exists in this server. /notify list shows the roles you can take."


def describe_notification_roles(pinged: Sequence[PingedRole], held: Collection[int]) -> str:
    """``/notify list``: the roles Newsdesk pings in this server that the member holds, and
    the ones they could take with a "Notify me" button."""
    if not pinged:
        return "Newsdesk pings no role in this server, so there is nothing to take."
    mine = [role for role in pinged if role.role_id in held]
    could = [role for role in pinged if role.role_id not in held and role.offered]
    lines: list[str] = []
    if mine:
        lines.append(
            f"You hold {plural(len(mine), 'role')} Newsdesk pings here: "
            + ", ".join(_listed(role) for role in mine) + "."
        )
    else:
        lines.append("You hold no role Newsdesk pings here.")
    if could:
        lines.append(
            "You can take " + ", ".join(markup.role(role.role_id) for role in could)
            + " with the **Notify me** button under their posts."
        )
    elif not any(role.offered for role in pinged):
        lines.append(
            "No post here offers a **Notify me** button; ask an admin for the roles you want."
        )
    return "\n".join(lines)


def _listed(role: PingedRole) -> str:
    if role.offered:
        return f"{markup.role(role.role_id)} (drop it with **Notify me** under its posts)"
    return f"{markup.role(role.role_id)} (an admin gave it)"


class NotifyService:
    """Which roles a server pings and offers; nothing here talks to Discord."""

    def __init__(self, repositories: Repositories) -> None:
        self._repos = repositories

    async def pinged_roles(self, guild_id: int) -> list[PingedRole]:
        """Return every role the server's subscriptions and follows ping, oldest id first."""
        offered: dict[int, bool] = {}
        for pairs in (
            await self._repos.subscriptions.pinged_roles(guild_id),
            await self._repos.follows.pinged_roles(guild_id),
        ):
            for role_id, offers in pairs:
                offered[role_id] = offered.get(role_id, False) or offers
        return [PingedRole(role_id, offered[role_id]) for role_id in sorted(offered)]

    async def offers(self, guild_id: int, role_id: int) -> bool:
        """Whether one of the server's subscriptions or follows pings ``role_id`` and offers
        it through a "Notify me" button."""
        return any(
            role.role_id == role_id and role.offered
            for role in await self.pinged_roles(guild_id)
        )

    async def subscription_ping(
        self, guild_id: int, subscription_id: int
    ) -> tuple[int | None, bool]:
        """Return the role a subscription pings (if any) and whether it offers the button."""
        return await self._repos.subscriptions.ping_of(guild_id, subscription_id)
