"""Channel messages over REST: limits, nonce, permissions, webhooks, rate limits."""

from __future__ import annotations

import asyncio
import io
import time

import aiohttp
import discord
import pytest

from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord import permissions as p
from tests.sandbox.conftest import RunningBot


def channel(running: RunningBot, name: str) -> discord.TextChannel:
    found = running.bot.get_channel(running.sandbox.world.channel_id(name))
    assert isinstance(found, discord.TextChannel)
    return found


async def test_post_is_recorded_and_dispatched_back(running: RunningBot) -> None:
    sandbox = running.sandbox
    echoed = asyncio.ensure_future(
        running.bot.wait_for("message", check=lambda m: m.content == "hello", timeout=5)
    )
    sent = await channel(running, "news").send("hello", embed=discord.Embed(title="T"))
    [post] = sandbox.posts("news")
    assert (post.id, post.content, post.embeds[0]["title"]) == (sent.id, "hello", "T")
    assert post.allowed_mentions is None  # discord.py sends none unless the bot sets them
    assert (await echoed).id == sent.id  # MESSAGE_CREATE came back over the gateway
    edited = await sent.edit(content="hello again")
    assert edited.content == "hello again"
    assert sandbox.messages[-1].kind == "edit" and sandbox.messages[-1].edited_message_id == sent.id
    fetched = await channel(running, "news").fetch_message(sent.id)
    assert fetched.content == "hello again"


async def test_over_long_content_is_invalid_form_body(running: RunningBot) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await channel(running, "news").send("x" * 2001)
    assert caught.value.status == 400 and caught.value.code == 50035
    assert "content" in caught.value.text or "2000" in str(caught.value)
    await channel(running, "news").send("x" * 2000)


@pytest.mark.parametrize(
    "embeds",
    [
        [discord.Embed(title="t" * 257)],
        [discord.Embed(description="d" * 4097)],
        [discord.Embed().add_field(name="n", value="v" * 1025)],
        [discord.Embed().set_footer(text="f" * 2049)],
        [discord.Embed().set_author(name="a" * 257)],
        [discord.Embed(description="d" * 3001), discord.Embed(description="d" * 3000)],
    ],
)
async def test_embed_limits(running: RunningBot, embeds: list[discord.Embed]) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await channel(running, "news").send(embeds=embeds)
    assert caught.value.code == 50035


async def test_too_many_fields(running: RunningBot) -> None:
    embed = discord.Embed()
    for index in range(26):
        embed.add_field(name=str(index), value="v")
    with pytest.raises(discord.HTTPException) as caught:
        await channel(running, "news").send(embed=embed)
    assert caught.value.code == 50035


async def test_empty_message_and_eleven_embeds(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('news')}/messages"
    async with raw.post(url, json={"content": ""}) as response:
        assert response.status == 400
        assert response.headers["Content-Type"] == "application/json"
        assert (await response.json())["code"] == 50006
    embeds = [{"title": str(i)} for i in range(11)]
    async with raw.post(url, json={"embeds": embeds}) as response:
        body = await response.json()
        assert response.status == 400 and body["code"] == 50035
        assert body["errors"]["embeds"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"


async def test_enforce_nonce_returns_the_first_message(running: RunningBot) -> None:
    news = channel(running, "news")
    first = await news.send("once", nonce="n-1")
    second = await news.send("once", nonce="n-1")
    assert first.id == second.id
    assert len(running.sandbox.posts("news")) == 1


async def test_missing_permissions_and_deleted_channel(running: RunningBot) -> None:
    sandbox = running.sandbox
    sandbox.set_channel_overwrite("world", "Newsdesk", deny=p.SEND_MESSAGES)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel(running, "world").send("no")
    assert forbidden.value.code == 50013
    sandbox.set_channel_overwrite("world", "Newsdesk", allow=p.SEND_MESSAGES)
    await channel(running, "world").send("yes")
    tech = channel(running, "tech")
    sandbox.delete_channel("tech")
    with pytest.raises(discord.NotFound) as missing:
        await tech.send("gone")
    assert missing.value.code == 10003


async def test_overwrite_affects_interactions(running: RunningBot) -> None:
    sandbox = running.sandbox
    sandbox.set_channel_overwrite("general", "user:admin", deny=p.MANAGE_GUILD)
    outcome = await sandbox.run_command("/configure", timeout=5)
    assert outcome.refused is not None
    sandbox.set_channel_overwrite("general", "role:admin", deny=p.USE_APPLICATION_COMMANDS)
    outcome = await sandbox.run_command("/ping", timeout=5)
    assert outcome.refused is not None and "can't use application commands" in outcome.refused


async def test_webhook_create_and_execute(running: RunningBot) -> None:
    sandbox = running.sandbox
    hook = await channel(running, "news").create_webhook(name="Wire")
    sent = await hook.send("from a webhook", username="Reuters", wait=True)
    [post] = sandbox.posts("news")
    assert post.webhook_id == hook.id and post.content == "from a webhook" and post.id == sent.id
    await hook.edit_message(sent.id, content="corrected")
    assert sandbox.messages[-1].kind == "edit" and sandbox.messages[-1].content == "corrected"
    hooks = await channel(running, "news").webhooks()
    assert [h.id for h in hooks] == [hook.id]
    sandbox.set_channel_overwrite("world", "Newsdesk", deny=p.MANAGE_WEBHOOKS)
    with pytest.raises(discord.Forbidden):
        await channel(running, "world").create_webhook(name="Nope")


async def test_multipart_upload(running: RunningBot) -> None:
    await channel(running, "news").send("file", file=discord.File(io.BytesIO(b"abc"), "a.txt"))
    [post] = running.sandbox.posts("news")
    assert post.attachments == [("a.txt", b"abc")]


async def test_burst_is_paced_by_discord_py(running: RunningBot) -> None:
    news = channel(running, "news")
    started = time.monotonic()
    await asyncio.gather(*(news.send(f"burst {i}") for i in range(12)))
    elapsed = time.monotonic() - started
    assert len(running.sandbox.posts("news")) == 12
    assert elapsed > 5.0, elapsed
    assert running.sandbox.rate_limit_hits <= 2


async def test_raw_burst_gets_429s(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('general')}/messages"
    started = time.time()
    statuses = []
    for index in range(6):
        async with raw.post(url, json={"content": f"raw {index}"}) as response:
            statuses.append(response.status)
            if response.status == 429:
                body = await response.json()
                assert body["message"] == "You are being rate limited." and body["global"] is False
                assert float(response.headers["Retry-After"]) > 0
                assert response.headers["X-RateLimit-Scope"] == "user"
            else:
                assert response.headers["X-RateLimit-Limit"] == "5"
                assert "X-RateLimit-Bucket" in response.headers
    assert statuses == [200] * 5 + [429]
    assert sandbox.rate_limit_hits == 1
    ((at, limit),) = sandbox.rate_limit_refusals  # when, and which limit, for long runs
    assert started <= at <= time.time()
    assert "messages" in limit and limit != "global"


async def test_global_limit(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('general')}"
    statuses = []
    for _ in range(51):
        async with raw.get(url) as response:
            statuses.append(response.status)
            if response.status == 429:
                assert response.headers["X-RateLimit-Global"] == "true"
                assert (await response.json())["global"] is True
    assert statuses.count(429) == 1 and statuses[-1] == 429
    assert [limit for _, limit in sandbox.rate_limit_refusals] == ["global"]


async def test_wrong_token_and_unknown_route(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    wrong = {"Authorization": "Bot wrong"}
    async with (
        aiohttp.ClientSession(headers=wrong) as other,
        other.get(f"{sandbox.api_base}/users/@me") as response,
    ):
        assert response.status == 401
        assert await response.json() == {"message": "401: Unauthorized", "code": 0}
    async with raw.get(f"{sandbox.api_base}/stickers/1") as response:
        assert response.status == 404 and response.headers["Content-Type"] == "application/json"
    assert sandbox.unknown_routes == ["GET /api/v10/stickers/1"]
