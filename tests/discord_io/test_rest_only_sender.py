"""Posting without a gateway (the deliverer role): every lookup the sender makes works from
REST, against the sandbox Discord, with no guild or channel in discord.py's cache."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import discord
import pytest

from bot.core.models import FORUM_CHANNEL, TEXT_CHANNEL, Article, ArticleCard, Delivery
from bot.discord_io.directory import Directory
from bot.discord_io.pacing import SendPacer
from bot.discord_io.rest_client import rest_client
from bot.discord_io.sender import DiscordPostSender
from bot.pipeline.deliver.deliverer import SendRejected
from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.permissions import SEND_MESSAGES
from bot.sandbox.fake_discord.world import PRIMARY_GUILD_ID

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GENERAL, NEWS, FORUM = PRIMARY_GUILD_ID + 1, PRIMARY_GUILD_ID + 2, PRIMARY_GUILD_ID + 5


@pytest.fixture
async def rest_only(sandbox: Sandbox) -> AsyncIterator[discord.Client]:
    """A client logged in over REST only, as the deliverer role's."""
    with sandbox.patch_discord():
        async with rest_client(sandbox.bot_token, SendPacer()) as client:
            yield client


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as running:
        yield running


def delivery(channel_id: int, number: int) -> Delivery:
    article = Article(
        id=number, feed_id=1, entry_key=f"e{number}", url=f"https://news.example/{number}",
        title=f"Story {number}", summary="Summary.", author=None, image_url=None,
        published_at=NOW, first_seen_at=NOW,
    )
    return Delivery(
        outbox_id=number, guild_id=PRIMARY_GUILD_ID, channel_id=channel_id, subscription_id=1,
        attempts=1, article=article, feed_title="Example News", feed_site_url=None,
    )


def card(number: int) -> ArticleCard:
    return ArticleCard(
        title=f"Story {number}", url=f"https://news.example/{number}", description="Summary.",
        timestamp=NOW, author_name="Example News", author_url=None,
    )


async def test_a_server_is_fetched_once_with_its_channels_and_own_member(
    rest_only: discord.Client,
) -> None:
    assert rest_only.get_guild(PRIMARY_GUILD_ID) is None  # no gateway, no cache
    directory = Directory(rest_only)
    found = await asyncio.gather(*(
        directory.channel(PRIMARY_GUILD_ID, channel) for channel in (NEWS, FORUM, NEWS, GENERAL)
    ))
    assert directory.fetches == 1
    news, forum = found[0], found[1]
    assert isinstance(news, discord.TextChannel) and isinstance(forum, discord.ForumChannel)
    assert news.guild.me is not None
    assert news.permissions_for(news.guild.me).send_messages
    directory.forget(PRIMARY_GUILD_ID)
    await directory.channel(PRIMARY_GUILD_ID, NEWS)
    assert directory.fetches == 2
    assert rest_only.get_guild(PRIMARY_GUILD_ID) is None  # discord.py's cache stays empty


async def test_posts_forum_posts_edits_and_notices_go_out_without_a_cache(
    rest_only: discord.Client, sandbox: Sandbox,
) -> None:
    sender = DiscordPostSender(rest_only)
    in_news = delivery(NEWS, 1)
    assert await sender.nonce_deduplicates(in_news)
    posted = await sender.send_post(in_news, card(1), "n1", content=None, quotes_button=False)
    in_forum = delivery(FORUM, 2)
    assert not await sender.nonce_deduplicates(in_forum)  # a forum post takes no nonce
    opened = await sender.send_post(in_forum, card(2), "n2", content=None, quotes_button=False)
    found = await sender.find_post(in_forum, "https://news.example/2", NOW)
    await sender.edit_post(PRIMARY_GUILD_ID, FORUM, opened, card(3))
    notice_channel = await sender.fallback_notice_channel(PRIMARY_GUILD_ID, NEWS)

    assert found == opened
    assert notice_channel == GENERAL  # the server's system channel
    posts = [record for record in sandbox.state.records if record.kind == "post"]
    assert [post.id for post in posts] == [posted, opened]
    edits = [record for record in sandbox.state.records if record.kind == "edit"]
    assert [edit.edited_message_id for edit in edits] == [opened]
    assert sandbox.unknown_routes == []


def with_kind(posting: Delivery, kind: str | None) -> Delivery:
    return dataclasses.replace(posting, channel_kind=kind)


async def test_a_post_to_a_channel_recorded_as_text_goes_out_without_looking_it_up(
    rest_only: discord.Client, sandbox: Sandbox,
) -> None:
    sender = DiscordPostSender(rest_only)
    before = sandbox.requests
    assert await sender.nonce_deduplicates(with_kind(delivery(NEWS, 1), TEXT_CHANNEL))
    posted = await sender.send_post(
        with_kind(delivery(NEWS, 1), TEXT_CHANNEL), card(1), "n1", content=None,
        quotes_button=False,
    )
    made = Counter(sandbox.requests) - Counter(before)

    assert made == Counter({"POST /channels/{channel_id}/messages": 1})
    assert [r.id for r in sandbox.state.records if r.kind == "post"] == [posted]


async def test_forum_posts_and_rows_without_a_kind_still_look_the_channel_up(
    rest_only: discord.Client, sandbox: Sandbox,
) -> None:
    sender = DiscordPostSender(rest_only)
    opened = await sender.send_post(
        with_kind(delivery(FORUM, 2), FORUM_CHANNEL), card(2), "n2", content=None,
        quotes_button=False,
    )
    posted = await sender.send_post(
        with_kind(delivery(NEWS, 3), None), card(3), "n3", content=None, quotes_button=False,
    )

    assert sandbox.requests["GET /guilds/{guild_id}"] == 1  # one lookup served both
    assert sandbox.requests["POST /channels/{channel_id}/threads"] == 1
    assert [r.id for r in sandbox.state.records if r.kind == "post"] == [opened, posted]


async def test_a_refused_text_channel_post_still_names_the_missing_permission(
    rest_only: discord.Client, sandbox: Sandbox,
) -> None:
    sandbox.set_channel_overwrite("news", "role:Newsdesk", deny=SEND_MESSAGES)
    sender = DiscordPostSender(rest_only)
    with pytest.raises(SendRejected) as refused:
        await sender.send_post(
            with_kind(delivery(NEWS, 4), TEXT_CHANNEL), card(4), "n4", content=None,
            quotes_button=False,
        )

    assert refused.value.permanent
    assert "Send Messages" in str(refused.value)
