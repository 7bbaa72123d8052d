"""The sandbox behaves like Discord where the bot's correctness depends on it.

Threads archive after their auto-archive duration of quiet (on the sandbox clock) and a
message unarchives them; forums carry their tags and the require-tags flag; an admin can
delete roles; the nonce window is a setting and expires on the sandbox clock; the
follow-up that resolves a public defer is public whatever its flags say.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from bot.sandbox.fake_discord import Sandbox
from tests.sandbox.conftest import RunningBot

HOUR = 3600


def text_channel(running: RunningBot, name: str) -> discord.TextChannel:
    found = running.bot.get_channel(running.sandbox.world.channel_id(name))
    assert isinstance(found, discord.TextChannel)
    return found


def forum(running: RunningBot) -> discord.ForumChannel:
    found = running.bot.get_channel(running.sandbox.world.channel_id("forum-news"))
    assert isinstance(found, discord.ForumChannel)
    return found


async def active_thread_ids(sandbox: Sandbox, raw: aiohttp.ClientSession) -> list[str]:
    url = f"{sandbox.api_base}/guilds/{sandbox.world.guild_id}/threads/active"
    async with raw.get(url) as response:
        return [t["id"] for t in (await response.json())["threads"]]


async def test_a_quiet_thread_archives_and_a_message_unarchives_it(
    running: RunningBot, raw: aiohttp.ClientSession
) -> None:
    sandbox, bot = running.sandbox, running.bot
    thread = await text_channel(running, "news").create_thread(
        name="Live: election", type=discord.ChannelType.public_thread, auto_archive_duration=60
    )
    assert await active_thread_ids(sandbox, raw) == [str(thread.id)]
    sandbox.advance_clock(HOUR - 60)
    assert sandbox.state.archive_due_threads() == []  # not yet quiet for an hour
    assert await active_thread_ids(sandbox, raw) == [str(thread.id)]
    archived = asyncio.ensure_future(
        bot.wait_for("thread_update", check=lambda _, after: after.archived, timeout=5)
    )
    sandbox.advance_clock(61)
    await archived
    assert await active_thread_ids(sandbox, raw) == []
    assert bot.get_channel(thread.id) is None  # discord.py drops archived threads
    unarchived = asyncio.ensure_future(bot.wait_for("thread_join", timeout=5))
    await thread.send("update")
    assert not (await unarchived).archived
    assert await active_thread_ids(sandbox, raw) == [str(thread.id)]


async def test_forum_posts_archive_too(running: RunningBot, raw: aiohttp.ClientSession) -> None:
    sandbox = running.sandbox
    post, _ = await forum(running).create_thread(
        name="Quake", content="summary", auto_archive_duration=1440
    )
    archived = asyncio.ensure_future(
        running.bot.wait_for("thread_update", check=lambda _, after: after.archived, timeout=5)
    )
    sandbox.advance_clock(24 * HOUR + 1)
    assert (await archived)[1].id == post.id
    assert await active_thread_ids(sandbox, raw) == []
    [kept] = sandbox.threads("forum-news")  # archived, not deleted
    assert kept.id == post.id


async def test_forum_tags_and_the_require_tag_flag_reach_the_bot(running: RunningBot) -> None:
    sandbox, bot = running.sandbox, running.bot
    updated = asyncio.ensure_future(bot.wait_for("guild_channel_update", timeout=5))
    sandbox.set_forum_tags("forum-news", ["Politics", "Sport"], require_tag=True)
    await updated
    channel = forum(running)
    assert channel.flags.require_tag
    assert [t.name for t in channel.available_tags] == ["Politics", "Sport"]
    with pytest.raises(discord.HTTPException) as refused:
        await channel.create_thread(name="Untagged", content="x")
    assert (refused.value.status, refused.value.code) == (400, 40067)
    sport = channel.available_tags[1]
    thread, _ = await channel.create_thread(name="Tagged", content="x", applied_tags=[sport])
    assert [t.id for t in thread.applied_tags] == [sport.id]
    assert [t.name for t in sandbox.threads("forum-news")] == ["Tagged"]


async def test_admin_deletes_a_role(running: RunningBot) -> None:
    sandbox, bot = running.sandbox, running.bot
    role_id = sandbox.world.role_id("asia-desk")
    sandbox.set_channel_overwrite("world", "asia-desk", deny=discord.Permissions.send_messages.flag)
    deleted = asyncio.ensure_future(bot.wait_for("guild_role_delete", timeout=5))
    sandbox.delete_role("asia-desk")
    assert (await deleted).id == role_id
    guild = bot.get_guild(sandbox.world.guild_id)
    assert guild is not None and guild.get_role(role_id) is None
    assert sandbox.world.primary.overwrites.get(sandbox.world.channel_id("world")) == []
    with pytest.raises(KeyError):
        sandbox.delete_role("asia-desk")
    outcome = await sandbox.run_command("/ping", timeout=5)
    assert outcome.contents == ["pong"]


async def test_admin_deletes_a_channel_and_its_webhooks_stop(running: RunningBot) -> None:
    sandbox = running.sandbox
    hook = await text_channel(running, "tech").create_webhook(name="Wire")
    sandbox.delete_channel("tech")
    with pytest.raises(discord.NotFound) as gone:
        await hook.send("x", wait=True)
    assert gone.value.code == 10015


async def send_with_nonce(
    sandbox: Sandbox, raw: aiohttp.ClientSession, nonce: str
) -> str:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('news')}/messages"
    body = {"content": "once", "nonce": nonce, "enforce_nonce": True}
    async with raw.post(url, json=body) as response:
        assert response.status == 200
        message_id: str = (await response.json())["id"]
        return message_id


async def test_the_nonce_window_defaults_to_five_minutes_on_the_sandbox_clock(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    first = await send_with_nonce(sandbox, raw, "n-1")
    sandbox.advance_clock(299)
    assert await send_with_nonce(sandbox, raw, "n-1") == first
    sandbox.advance_clock(2)
    assert await send_with_nonce(sandbox, raw, "n-1") != first
    assert len(sandbox.posts("news")) == 2


async def test_the_nonce_window_is_a_setting(raw: aiohttp.ClientSession) -> None:
    async with Sandbox(nonce_window_seconds=30) as short:
        first = await send_with_nonce(short, raw, "n-2")
        short.advance_clock(31)
        assert await send_with_nonce(short, raw, "n-2") != first


async def test_a_follow_up_after_a_public_defer_ignores_the_ephemeral_flag(
    running: RunningBot,
) -> None:
    outcome = await running.sandbox.run_command("/publicdefer", timeout=5)
    first, second = outcome.messages
    assert (first.content, first.ephemeral) == ("first, marked ephemeral", False)
    assert (second.content, second.ephemeral) == ("second, marked ephemeral", True)
