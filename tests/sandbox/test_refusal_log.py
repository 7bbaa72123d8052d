"""Every request the sandbox refuses with a 4xx is kept, with Discord's code and the body,
so a contract test can assert the bot made none."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.sandbox.fake_discord import Sandbox
from tests.sandbox.conftest import RunningBot


async def test_refusals_are_kept_with_their_code_and_body(running: RunningBot) -> None:
    sandbox = running.sandbox
    news = running.bot.get_channel(sandbox.world.channel_id("news"))
    assert isinstance(news, discord.TextChannel)
    await news.send("fits")
    assert sandbox.refused_requests == []
    with pytest.raises(discord.HTTPException):
        await news.send("x" * 2001)
    [refused] = sandbox.refused_requests
    assert (refused.method, refused.status, refused.code) == ("POST", 400, 50035)
    assert refused.path == f"/api/v10/channels/{news.id}/messages"
    assert refused.body["content"] == "x" * 2001
    assert "50035" in refused.describe()


async def test_unauthorised_and_unknown_things_are_kept_too(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.get(f"{sandbox.api_base}/users/@me") as response,
    ):
        assert response.status == 401
    async with raw.get(f"{sandbox.api_base}/channels/1/messages") as response:
        assert response.status == 404
    assert [(r.status, r.code) for r in sandbox.refused_requests] == [(401, 0), (404, 10003)]
