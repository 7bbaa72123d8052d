"""Gateway: login, READY/GUILD_CREATE, resume with replay, re-identify, new guilds."""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.sandbox.fake_discord import Sandbox, SandboxWorld
from bot.sandbox.fake_discord.gateway import IDENTIFY_WINDOW_SECONDS
from tests.sandbox.conftest import RunningBot, bot_logged_in


async def test_ready_and_guild_cache(running: RunningBot) -> None:
    bot, world = running.bot, running.sandbox.world
    guild = bot.get_guild(world.guild_id)
    assert guild is not None and guild.name == "Newsdesk Sandbox"
    assert {c.name for c in guild.text_channels} == {"general", "news", "world", "tech"}
    assert guild.me is not None and guild.me.guild_permissions.manage_webhooks
    assert bot.user is not None and bot.user.id == running.sandbox.bot_user_id
    assert bot.application_id == running.sandbox.application_id
    info = await bot.application_info()
    assert info.owner.name == "owner"  # the guild owner also owns the bot


async def test_resume_replays_missed_events(running: RunningBot) -> None:
    sandbox = running.sandbox
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    running.bot.add_listener(on_resumed)
    await sandbox.drop_gateway(resumable=True)
    sandbox.set_channel_overwrite("tech", "member", deny=1 << 10)
    async with asyncio.timeout(10):
        await resumed.wait()
    assert sandbox.state.gateway.resume_count == 1
    assert sandbox.state.gateway.identify_count == 1
    tech = running.bot.get_channel(sandbox.world.channel_id("tech"))
    assert isinstance(tech, discord.TextChannel)
    member = tech.guild.get_member(sandbox.world.user_id("member")) or discord.Object(
        sandbox.world.user_id("member")
    )
    assert tech.overwrites_for(member).view_channel is False
    outcome = await sandbox.run_command("/ping", timeout=5)
    assert outcome.contents == ["pong"]


async def test_non_resumable_drop_identifies_again(running: RunningBot) -> None:
    sandbox = running.sandbox
    # Discord takes one IDENTIFY per 5 s for a shard's bucket: let that time pass.
    sandbox.advance_clock(IDENTIFY_WINDOW_SECONDS)
    await sandbox.drop_gateway(resumable=False)
    await sandbox.wait_for_bot(timeout=10)
    assert sandbox.state.gateway.identify_count == 2
    assert sandbox.state.gateway.refused_identifies == 0
    outcome = await sandbox.run_command("/ping", timeout=5)
    assert outcome.contents == ["pong"]


async def test_add_guild_reaches_the_bot(running: RunningBot) -> None:
    joined = asyncio.Event()

    async def on_guild_join(guild: discord.Guild) -> None:
        joined.set()

    running.bot.add_listener(on_guild_join)
    guild = await running.sandbox.add_guild("Second Desk")
    async with asyncio.timeout(5):
        await joined.wait()
    assert running.bot.get_guild(guild.id) is not None
    unsynced = await running.sandbox.run_command("/ping", guild="Second Desk", timeout=5)
    assert unsynced.refused is not None and "Second Desk" in unsynced.refused
    second = discord.Object(id=guild.id)
    running.bot.tree.copy_global_to(guild=second)
    await running.bot.tree.sync(guild=second)
    outcome = await running.sandbox.run_command("/ping", guild="Second Desk", timeout=5)
    assert outcome.contents == ["pong"]
    assert outcome.messages[0].guild_id == guild.id


async def test_wrong_token_closes_gateway(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.gateway_url) as ws:
        hello = await ws.receive_json(timeout=2)
        assert hello["op"] == 10
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json(timeout=2))["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": "wrong"}})
        closing = await ws.receive(timeout=2)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4004


async def test_bot_survives_a_second_login(sandbox: Sandbox) -> None:
    async with bot_logged_in(sandbox) as bot:
        assert bot.is_ready()
    sandbox.advance_clock(IDENTIFY_WINDOW_SECONDS)
    async with bot_logged_in(sandbox, sync=False) as bot:
        assert bot.is_ready()
        assert sandbox.state.gateway.identify_count == 2


def test_render_mentions() -> None:
    world = SandboxWorld.default()
    sandbox = Sandbox(world=world)
    text = (
        f"<#{world.channel_id('news')}> <@&{world.role_id('asia-desk')}> "
        f"<@{world.user_id('admin')}> <@&{world.guild_id}> <@!{world.user_id('member')}> <#1>"
    )
    assert sandbox.render_mentions(text) == "#news @asia-desk @admin @everyone @member <#1>"
