"""What ``/newsdesk settings`` does, without Discord: a server's preferences for Newsdesk."""

from __future__ import annotations

from bot.core.models import ServerPreferences
from bot.discord_io import markup
from storage import Repositories


class ServerPreferencesService:
    """Reads and changes one server's preferences."""

    def __init__(self, repositories: Repositories) -> None:
        self._repos = repositories

    async def get(self, guild_id: int) -> ServerPreferences:
        """Return the server's preferences."""
        return await self._repos.server_preferences.get(guild_id)

    async def set_log_channel(self, guild_id: int, channel_id: int | None) -> ServerPreferences:
        """Send the server's notices to ``channel_id`` (None: each feed's own channel)."""
        await self._repos.server_preferences.set_log_channel(guild_id, channel_id)
        return await self.get(guild_id)


def describe_preferences(preferences: ServerPreferences) -> str:
    """Say the server's preferences as ``/newsdesk settings`` shows them."""
    channel = preferences.log_channel_id
    where = markup.channel(channel) if channel else "each feed's own channel"
    return f"Notices about feeds and channels go to {where}."
