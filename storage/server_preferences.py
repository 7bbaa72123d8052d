"""Server preferences: what a server's admins chose with ``/newsdesk settings``.

Every call takes ``guild_id`` first. The table keeps its first name, ``guild_settings``.
"""

from __future__ import annotations

from bot.core.models import ServerPreferences
from storage.database import Database


class ServerPreferencesRepository:
    """Reads and writes a server's preferences row (a server without one has the defaults)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, guild_id: int) -> ServerPreferences:
        """Return the server's preferences."""
        row = await self._db.fetch_one(
            "SELECT log_channel_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return ServerPreferences(log_channel_id=None if row is None else row[0])

    async def set_log_channel(self, guild_id: int, channel_id: int | None) -> None:
        """Set (or clear, with None) the channel that receives the server's notices."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO guild_settings (guild_id, log_channel_id) VALUES (?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET log_channel_id = excluded.log_channel_id",
                (guild_id, channel_id),
            )
