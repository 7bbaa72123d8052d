"""Finding the post an earlier attempt made, so that a row is never posted twice.

Rules:
- a post is recognised by the article's link (its embed's URL) among the messages Newsdesk
  made itself or through the destination's webhook, since the attempt began less
  ``CLOCK_SKEW_ALLOWANCE`` (Discord's clock and the bot's may disagree a little);
- a text channel: its messages after that moment's snowflake, oldest first, at most
  ``MESSAGES_READ`` of them;
- a forum: the posts (threads) Newsdesk opened there since then, the active ones and the
  archived ones (most recently archived first, down to that moment), at most
  ``THREADS_READ``; each one's starter message is read for the link;
- without Read Message History Discord shows no history (or refuses): the post is then
  sent again, since a possible second post is better than a lost one; the refusal is logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import discord

from bot.core.models import Delivery
from bot.discord_io.directory import Directory

log = logging.getLogger(__name__)

CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
MESSAGES_READ = 1000
THREADS_READ = 100


async def destination(client: discord.Client, channel_id: int) -> object:
    """Return the channel ``channel_id`` from the cache, else from Discord (a restarted bot
    may deliver before its cache holds every server's channels)."""
    cached = client.get_channel(channel_id)
    return cached if cached is not None else await client.fetch_channel(channel_id)


def carries_link(message: discord.Message, link: str) -> bool:
    """Whether ``message`` shows the article at ``link`` (as its card's URL)."""
    return any(embed.url == link for embed in message.embeds)


class EarlierPosts:
    """Looks through a destination for a post Newsdesk already made."""

    def __init__(self, client: discord.Client, directory: Directory) -> None:
        self._client = client
        self._directory = directory

    async def find(self, delivery: Delivery, link: str, since: datetime) -> int | None:
        """Return the id of ``delivery``'s post of ``link`` made since ``since``, if any."""
        lower_bound = since - CLOCK_SKEW_ALLOWANCE
        after = discord.Object(id=discord.utils.time_snowflake(lower_bound))
        try:
            channel = await self._directory.channel(delivery.guild_id, delivery.channel_id)
            if isinstance(channel, discord.ForumChannel):
                return await self._in_forum(channel, link, after, lower_bound)
            return await self._in_channel(delivery, link, after)
        except discord.Forbidden:
            log.warning(
                "cannot read history to look for an earlier post guild_id=%s channel_id=%s",
                delivery.guild_id, delivery.channel_id,
            )
            return None

    def _my_id(self) -> int:
        assert self._client.user is not None, "deliveries start once the bot is logged in"
        return self._client.user.id

    async def _in_channel(
        self, delivery: Delivery, link: str, after: discord.Object
    ) -> int | None:
        me = self._my_id()
        webhook_id = delivery.webhook[0] if delivery.webhook is not None else None
        channel = self._client.get_partial_messageable(
            delivery.channel_id, guild_id=delivery.guild_id
        )
        async for message in channel.history(
            limit=MESSAGES_READ, after=after, oldest_first=True
        ):
            ours = message.author.id == me or (
                webhook_id is not None and message.webhook_id == webhook_id
            )
            if ours and carries_link(message, link):
                return message.id
        return None

    async def _in_forum(
        self, forum: discord.ForumChannel, link: str, after: discord.Object, since: datetime
    ) -> int | None:
        me = self._my_id()
        opened = [
            thread for thread in await forum.guild.active_threads()
            if thread.parent_id == forum.id and thread.owner_id == me and thread.id > after.id
        ]
        async for thread in forum.archived_threads(limit=THREADS_READ):
            if thread.archive_timestamp < since:
                break  # archived before the attempt began, so opened before it too
            if thread.owner_id == me and thread.id > after.id:
                opened.append(thread)
        for thread in sorted(opened, key=lambda thread: thread.id)[:THREADS_READ]:
            posts = self._client.get_partial_messageable(thread.id, guild_id=forum.guild.id)
            try:
                # A forum post's starter message has the thread's id.
                starter = await posts.fetch_message(thread.id)
            except discord.NotFound:
                continue
            if carries_link(starter, link):
                return starter.id
        return None
