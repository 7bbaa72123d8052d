"""A request that empties its route's bucket (a channel's fifth message in Discord's window)
is answered at once; the next request on the route still waits for the reset."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from bot.discord_io.pacing import SendPacer
from bot.discord_io.rest_client import rest_client
from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.world import PRIMARY_GUILD_ID

NEWS = PRIMARY_GUILD_ID + 2
WINDOW_MESSAGES = 5  # message create: 5 per 5 s per channel


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as running:
        yield running


@pytest.fixture
async def rest_only(sandbox: Sandbox) -> AsyncIterator[discord.Client]:
    with sandbox.patch_discord():
        async with rest_client(sandbox.bot_token, SendPacer()) as client:
            yield client


def channel_bucket_spent(client: discord.Client, channel_id: int) -> bool:
    """Whether discord.py's bucket of the channel's routes waits for its reset."""
    (bucket,) = {id(b): b for key, b in client.http._buckets.items()
                 if str(channel_id) in key}.values()
    return bucket.remaining <= 0


async def test_the_message_that_fills_a_window_is_answered_before_the_reset(
    rest_only: discord.Client, sandbox: Sandbox,
) -> None:
    channel = rest_only.get_partial_messageable(NEWS, guild_id=PRIMARY_GUILD_ID)
    for number in range(WINDOW_MESSAGES):
        await channel.send(f"post {number}")

    # Answered while the channel's window still runs (discord.py held it until the reset).
    assert channel_bucket_spent(rest_only, NEWS)
    await channel.send("the next window's first")

    assert sandbox.post_count == WINDOW_MESSAGES + 1
    assert sandbox.rate_limit_hits == 0
