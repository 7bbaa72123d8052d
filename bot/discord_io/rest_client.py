"""A Discord client over REST only: logged in, no gateway (the deliverer role's).

Rules: ``Client.login`` sets up discord.py's HTTP client (and learns the bot's user and
application) without connecting the gateway, so the process holds no shard and no cache;
every request goes through ``pacer`` (a ``SharedPace`` past one process). The client is
closed, whatever happened, when the block ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

from bot.core.errors import LoginRefused
from bot.discord_io.client import BAD_TOKEN
from bot.discord_io.pacing import SendPacer
from bot.discord_io.route_buckets import answer_first


@asynccontextmanager
async def rest_client(token: str, pacer: SendPacer) -> AsyncIterator[discord.Client]:
    """Log in with ``token`` over REST and yield the client.

    Raises:
        LoginRefused: Discord refused the token, said as what to fix.
    """
    client = discord.Client(
        intents=discord.Intents.none(), http_trace=pacer.trace_config(),
        allowed_mentions=discord.AllowedMentions.none(),
    )
    answer_first(client)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise LoginRefused(BAD_TOKEN) from None
        if client.application_id is not None:
            pacer.exempt_application(client.application_id)
        yield client
    finally:
        await client.close()
