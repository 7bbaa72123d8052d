"""Reading back what was posted, as Discord pages it: a channel's messages before or after a
message, a forum's archived posts; and the time new messages carry follows the sandbox clock
(so a test's outage moves snowflakes as it moves the nonce window)."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord import permissions as p
from tests.sandbox.conftest import RunningBot

DAY = 24 * 3600


def text_channel(running: RunningBot, name: str) -> discord.TextChannel:
    found = running.bot.get_channel(running.sandbox.world.channel_id(name))
    assert isinstance(found, discord.TextChannel)
    return found


def forum(running: RunningBot) -> discord.ForumChannel:
    found = running.bot.get_channel(running.sandbox.world.channel_id("forum-news"))
    assert isinstance(found, discord.ForumChannel)
    return found


async def test_messages_after_and_before_a_message_in_discords_order(
    running: RunningBot, raw: aiohttp.ClientSession
) -> None:
    news = text_channel(running, "news")
    sent = [await news.send(f"m{n}") for n in range(6)]
    after = [m.id async for m in news.history(after=sent[1], limit=None, oldest_first=True)]
    assert after == [m.id for m in sent[2:]]
    before = [m.id async for m in news.history(before=sent[4], limit=2)]
    assert before == [sent[3].id, sent[2].id]
    url = f"{running.sandbox.api_base}/channels/{news.id}/messages"
    async with raw.get(url, params={"after": str(sent[0].id), "limit": "2"}) as response:
        page = await response.json()
    assert [m["id"] for m in page] == [str(sent[2].id), str(sent[1].id)]  # newest first
    async with raw.get(url, params={"limit": "101"}) as response:
        assert response.status == 400 and (await response.json())["code"] == 50035


async def test_history_needs_read_message_history_and_view_channel(
    running: RunningBot, raw: aiohttp.ClientSession
) -> None:
    sandbox = running.sandbox
    await text_channel(running, "world").send("before the overwrite")
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('world')}/messages"
    sandbox.set_channel_overwrite("world", "Newsdesk", deny=p.READ_MESSAGE_HISTORY)
    async with raw.get(url) as response:
        assert (response.status, await response.json()) == (200, [])
    sandbox.set_channel_overwrite("world", "Newsdesk", deny=p.VIEW_CHANNEL)
    async with raw.get(url) as response:
        assert response.status == 403 and (await response.json())["code"] == 50001


async def test_new_messages_carry_the_sandbox_clocks_time(running: RunningBot) -> None:
    news = text_channel(running, "news")
    first = await news.send("before the outage")
    running.sandbox.advance_clock(600)
    second = await news.send("after the outage")
    assert (second.created_at - first.created_at).total_seconds() >= 600


async def test_archived_forum_posts_newest_archived_first_paged_by_time(
    running: RunningBot, raw: aiohttp.ClientSession
) -> None:
    sandbox = running.sandbox
    older, _ = await forum(running).create_thread(name="Older", content="a")
    sandbox.advance_clock(DAY + 1)
    sandbox.state.archive_due_threads()  # "Older" now (else the archiver, a moment later)
    newer, _ = await forum(running).create_thread(name="Newer", content="b")
    sandbox.advance_clock(DAY + 1)
    sandbox.state.archive_due_threads()  # "Newer", a day later
    listed = [t async for t in forum(running).archived_threads(limit=None)]
    assert [t.id for t in listed] == [newer.id, older.id]
    assert listed[0].archive_timestamp > listed[1].archive_timestamp
    since = listed[0].archive_timestamp
    paged = [t.id async for t in forum(running).archived_threads(before=since)]
    assert paged == [older.id]
    url = f"{sandbox.api_base}/channels/{forum(running).id}/threads/archived/public"
    async with raw.get(url, params={"limit": "1"}) as response:
        assert response.status == 400 and (await response.json())["code"] == 50035


@pytest.mark.parametrize("denied", [p.READ_MESSAGE_HISTORY, p.VIEW_CHANNEL])
async def test_archived_posts_need_read_message_history(
    sandbox: Sandbox, raw: aiohttp.ClientSession, denied: int
) -> None:
    sandbox.set_channel_overwrite("forum-news", "Newsdesk", deny=denied)
    forum_id = sandbox.world.channel_id("forum-news")
    url = f"{sandbox.api_base}/channels/{forum_id}/threads/archived/public"
    async with raw.get(url) as response:
        assert response.status == 403 and (await response.json())["code"] == 50001
