"""Forum channels and threads: forum posts, thread messages, limits, permissions, caches."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord
import pytest

from bot.sandbox.fake_discord import RecordedThread, Sandbox
from bot.sandbox.fake_discord import permissions as p
from bot.sandbox.fake_discord.gateway import IDENTIFY_WINDOW_SECONDS
from tests.sandbox.conftest import RunningBot
from tests.waiting import eventually


def forum(running: RunningBot) -> discord.ForumChannel:
    found = running.bot.get_channel(running.sandbox.world.channel_id("forum-news"))
    assert isinstance(found, discord.ForumChannel)
    return found


def text(running: RunningBot, name: str) -> discord.TextChannel:
    found = running.bot.get_channel(running.sandbox.world.channel_id(name))
    assert isinstance(found, discord.TextChannel)
    return found


async def test_forum_channel_is_in_the_bot_cache(running: RunningBot) -> None:
    channel = forum(running)
    assert channel.type is discord.ChannelType.forum
    assert [t.name for t in channel.available_tags] == ["News", "Analysis"]
    assert not channel.flags.require_tag
    assert channel.permissions_for(channel.guild.me).send_messages


async def test_forum_post_is_a_thread_with_a_starter_message(running: RunningBot) -> None:
    sandbox, bot = running.sandbox, running.bot
    created = asyncio.ensure_future(bot.wait_for("thread_create", timeout=5))
    echoed = asyncio.ensure_future(
        bot.wait_for("message", check=lambda m: m.content == "summary", timeout=5)
    )
    thread, message = await forum(running).create_thread(
        name="Quake hits coast", content="summary", embed=discord.Embed(title="Quake")
    )
    assert thread.id == message.id and thread.parent_id == forum(running).id
    assert thread.type is discord.ChannelType.public_thread and thread.name == "Quake hits coast"
    assert (await created).id == thread.id
    assert (await echoed).channel.id == thread.id
    assert thread.guild.get_thread(thread.id) is not None
    [post] = sandbox.posts("forum-news")
    assert (post.id, post.channel_id, post.thread_id) == (thread.id, thread.id, thread.id)
    assert post.thread_name == "Quake hits coast" and post.embeds[0]["title"] == "Quake"
    assert post.parent_id is not None and sandbox.world.channel_name(post.parent_id) == "forum-news"
    assert sandbox.threads("forum-news") == [
        RecordedThread(
            id=thread.id,
            name="Quake hits coast",
            parent_id=sandbox.world.channel_id("forum-news"),
            parent_name="forum-news",
            type=11,
            owner_id=sandbox.bot_user_id,
            starter_message_id=thread.id,
        )
    ]
    follow = await thread.send("update")
    assert [m.content for m in sandbox.posts(thread.id)] == ["summary", "update"]
    assert sandbox.posts("forum-news")[-1].id == follow.id


async def test_thread_name_limit(running: RunningBot) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await forum(running).create_thread(name="x" * 101, content="c")
    assert caught.value.status == 400 and caught.value.code == 50035
    assert "name" in caught.value.text
    thread, _ = await forum(running).create_thread(name="x" * 100, content="c")
    assert len(thread.name) == 100


async def test_starter_message_obeys_message_limits(running: RunningBot) -> None:
    with pytest.raises(discord.HTTPException) as empty:
        await forum(running).create_thread(name="empty")
    assert empty.value.code == 50006
    with pytest.raises(discord.HTTPException) as long_title:
        await forum(running).create_thread(name="t", embed=discord.Embed(title="t" * 257))
    assert long_title.value.code == 50035 and "message" in long_title.value.text
    assert running.sandbox.threads("forum-news") == []


async def test_forum_post_with_a_file(running: RunningBot) -> None:
    file = discord.File(io.BytesIO(b"abc"), "a.txt")
    thread, message = await forum(running).create_thread(name="with file", file=file)
    [post] = running.sandbox.posts("forum-news")
    assert post.attachments == [("a.txt", b"abc")] and message.attachments[0].filename == "a.txt"
    assert post.thread_id == thread.id


async def test_forum_takes_no_plain_messages(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('forum-news')}/messages"
    async with raw.post(url, json={"content": "hi"}) as response:
        assert response.status == 400 and (await response.json())["code"] == 50008


async def test_forum_and_thread_permissions(running: RunningBot) -> None:
    sandbox = running.sandbox
    thread, _ = await forum(running).create_thread(name="ok", content="c")
    sandbox.set_channel_overwrite("forum-news", "Newsdesk", deny=p.SEND_MESSAGES_IN_THREADS)
    with pytest.raises(discord.Forbidden) as in_thread:
        await thread.send("no")
    assert in_thread.value.code == 50013
    await forum(running).create_thread(name="still ok", content="c")
    sandbox.set_channel_overwrite("forum-news", "Newsdesk", deny=p.SEND_MESSAGES)
    with pytest.raises(discord.Forbidden):
        await forum(running).create_thread(name="no", content="c")


async def test_threads_in_a_text_channel(running: RunningBot) -> None:
    sandbox = running.sandbox
    news = text(running, "news")
    message = await news.send("start")
    thread = await message.create_thread(name="Discuss")
    assert thread.id == message.id and thread.type is discord.ChannelType.public_thread
    with pytest.raises(discord.HTTPException) as again:
        await message.create_thread(name="Again")
    assert again.value.code == 160004
    with pytest.raises(discord.Forbidden):  # private threads need CREATE_PRIVATE_THREADS
        await news.create_thread(name="Desk only")
    sandbox.set_channel_overwrite("news", "Newsdesk", allow=p.CREATE_PRIVATE_THREADS)
    private = await news.create_thread(name="Desk only")
    assert private.type is discord.ChannelType.private_thread
    await thread.send("in thread")
    assert [t.name for t in sandbox.threads("news")] == ["Discuss", "Desk only"]
    assert [m.content for m in sandbox.posts("news")] == ["start", "in thread"]
    assert sandbox.posts("news")[-1].thread_name == "Discuss"
    sandbox.set_channel_overwrite("world", "Newsdesk", deny=p.CREATE_PUBLIC_THREADS)
    with pytest.raises(discord.Forbidden):
        await text(running, "world").create_thread(name="n", type=discord.ChannelType.public_thread)


async def test_threads_survive_a_fresh_identify(running: RunningBot) -> None:
    sandbox, bot = running.sandbox, running.bot
    thread, _ = await forum(running).create_thread(name="kept", content="c")
    before = bot.get_guild(sandbox.world.guild_id)
    sandbox.advance_clock(IDENTIFY_WINDOW_SECONDS)  # Discord's one IDENTIFY per 5 s
    await sandbox.drop_gateway(resumable=False)
    await sandbox.wait_for_bot(timeout=10)

    def rebuilt_guild_with_the_thread() -> discord.Guild | None:
        # A fresh IDENTIFY makes discord.py rebuild its cache: new Guild objects.
        guild = bot.get_guild(sandbox.world.guild_id)
        if guild is None or guild is before or guild.get_thread(thread.id) is None:
            return None
        return guild

    guild = await eventually(
        rebuilt_guild_with_the_thread, timeout=5, message="the rebuilt cache has the thread"
    )
    active = await guild.active_threads()
    assert [t.id for t in active] == [thread.id]


async def test_commands_in_threads_but_not_in_forums(running: RunningBot) -> None:
    sandbox = running.sandbox
    thread, _ = await forum(running).create_thread(name="talk", content="c")
    refused = await sandbox.run_command("/ping", channel="forum-news", timeout=5)
    assert refused.refused is not None and "is a forum" in refused.refused
    outcome = await sandbox.run_command("/ping", channel=thread.id, timeout=5)
    assert outcome.contents == ["pong"] and outcome.messages[0].thread_id == thread.id
