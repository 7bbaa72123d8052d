"""The servers and channels the deliverer posts to, with or without a gateway.

Rules:
- A process with the gateway (role ``all``) has every server, its channels and Newsdesk's
  own member in discord.py's cache: that is used first, as it is always current.
- The deliverer role has no gateway (REST only, ``Client.login``): a server it posts to is
  fetched once with its channels and Newsdesk's member in it (three requests: the server,
  its channels, the member; one fetch however many of its channels' workers ask at once),
  so permissions, forum tags and the fallback channel for a notice are worked out as with
  the cache. Fetched servers live in a small LRU
  (``CAPACITY`` servers) for ``FRESH_SECONDS``, so a changed permission or a new channel is
  seen within that; ``forget`` drops one at once (after Discord refused a post there).
- Fetched objects never enter discord.py's own cache, so memory stays bounded by the LRU
  whatever the number of servers.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

import discord

from bot.core.models import FORUM_CHANNEL, TEXT_CHANNEL

CAPACITY = 512
FRESH_SECONDS = 300.0

Destination = discord.abc.GuildChannel | discord.Thread


def channel_kind(channel: Destination) -> str:
    """Return the kind recorded for a channel a subscription or follow posts to."""
    return FORUM_CHANNEL if isinstance(channel, discord.ForumChannel) else TEXT_CHANNEL


class Directory:
    """Looks up servers and channels in the gateway's cache, else through REST."""

    def __init__(
        self, client: discord.Client, *, capacity: int = CAPACITY,
        fresh_seconds: float = FRESH_SECONDS, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._capacity = capacity
        self._fresh_seconds = fresh_seconds
        self._clock = clock
        self._fetched: OrderedDict[int, tuple[float, discord.Guild]] = OrderedDict()
        self._fetching: dict[int, asyncio.Future[discord.Guild]] = {}
        self.fetches = 0

    def cached_guild(self, guild_id: int) -> discord.Guild | None:
        """Return the server from the gateway's cache or a fresh fetch, without asking
        Discord (for the sentences that name a missing permission)."""
        cached = self._client.get_guild(guild_id)
        if cached is not None and not cached.unavailable:
            return cached
        fetched = self._fetched.get(guild_id)
        if fetched is None or self._clock() - fetched[0] > self._fresh_seconds:
            return None
        return fetched[1]

    async def guild(self, guild_id: int) -> discord.Guild:
        """Return the server with its channels and Newsdesk's member.

        Raises:
            discord.HTTPException: Discord refused to show it (Newsdesk left, it is gone).
        """
        known = self.cached_guild(guild_id)
        if known is None:
            return await self._fetch(guild_id)
        if guild_id in self._fetched:
            self._fetched.move_to_end(guild_id)
        return known

    async def channel(self, guild_id: int, channel_id: int) -> Destination:
        """Return a channel (or thread) of a server.

        Raises:
            discord.HTTPException: Discord refused to show it, or it is gone.
            discord.InvalidData: it belongs to another server.
        """
        cached = self._client.get_channel(channel_id)
        if isinstance(cached, Destination):
            return cached
        guild = await self.guild(guild_id)
        found = guild.get_channel_or_thread(channel_id)
        if found is None and guild_id in self._fetched:
            # Made since the server was fetched: look again, once.
            guild = await self._fetch(guild_id)
            found = guild.get_channel_or_thread(channel_id)
        if found is None:
            # A thread (a forum post), which a server's channel list leaves out.
            return await guild.fetch_channel(channel_id)
        return found

    def forget(self, guild_id: int) -> None:
        """Drop a fetched server, so the next lookup asks Discord again."""
        self._fetched.pop(guild_id, None)

    async def _fetch(self, guild_id: int) -> discord.Guild:
        """Fetch a server once however many channels' workers ask for it at the same time."""
        running = self._fetching.get(guild_id)
        if running is None:
            running = asyncio.ensure_future(self._fetch_now(guild_id))
            self._fetching[guild_id] = running
            running.add_done_callback(lambda _done: self._fetching.pop(guild_id, None))
        return await asyncio.shield(running)

    async def _fetch_now(self, guild_id: int) -> discord.Guild:
        self.fetches += 1
        guild = await self._client.fetch_guild(guild_id)
        assert self._client.user is not None, "the client logs in before it delivers"
        me = await guild.fetch_member(self._client.user.id)
        channels = await guild.fetch_channels()
        # This Guild is the directory's own object, outside discord.py's cache: filling it
        # in makes guild.me, permissions_for, system_channel and text_channels work on it as
        # on a cached server.
        guild._add_member(me)
        for channel in channels:
            guild._add_channel(channel)
        self._fetched[guild_id] = (self._clock(), guild)
        self._fetched.move_to_end(guild_id)
        while len(self._fetched) > self._capacity:
            self._fetched.popitem(last=False)
        return guild

