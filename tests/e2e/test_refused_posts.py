"""What Discord refuses, and what it stops: one post, or the whole subscription.

Only a refusal of the destination (a deleted channel, a missing permission, a deleted webhook
Newsdesk cannot replace) stops a subscription; a refusal of one post fails that post, with
Discord's reason shown by /feed why, and the channel goes on.
"""

from __future__ import annotations

import discord

from bot.discord_io.client import NewsdeskBot
from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.permissions import MANAGE_WEBHOOKS
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer
from tests.waiting import eventually


async def may_make_webhooks(bot: NewsdeskBot, sandbox: Sandbox, allowed: bool) -> None:
    news = bot.get_channel(sandbox.world.channel_id("news"))
    assert isinstance(news, discord.TextChannel)
    await eventually(
        lambda: news.permissions_for(news.guild.me).manage_webhooks is allowed,
        message="the CHANNEL_UPDATE reached the bot's cache",
    )


@on_both_engines
async def test_a_post_automod_blocks_fails_alone_and_the_channel_goes_on(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        sandbox.set_automod_keywords("news", ["3"])  # only story 3 says "3"
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)
        why = await sandbox.run_command("/feed why url:https://news.example/story-3")
        listed = await sandbox.run_command("/feed list")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5))
        await poll_and_deliver(bot)

    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == [
        "Story 4: Mayor & council agree", "Story 5: Mayor & council agree",
    ]
    explained = why.messages[-1].content
    assert "Could not be posted in" in explained
    assert "Message was blocked by automatic moderation (code 200000)" in explained
    assert "disabled" not in listed.messages[-1].content
    assert sandbox.posts("general") == []  # nothing for admins to fix: no notice


async def test_a_deleted_webhook_is_replaced_once_then_reported_as_deleted(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await sandbox.run_command("/feed webhook subscription:1 enabled:true")
        (first,) = sandbox.webhooks("news")

        # An admin deletes it: the next post makes a new one and goes through it.
        sandbox.delete_webhook(first.id)
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
        (second,) = sandbox.webhooks("news")

        # Deleted again, and Newsdesk may no longer make webhooks there: reported as such.
        sandbox.delete_webhook(second.id)
        sandbox.set_channel_overwrite("news", "role:Newsdesk", deny=MANAGE_WEBHOOKS)
        await may_make_webhooks(bot, sandbox, False)
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)
        listed = await sandbox.run_command("/feed list")

        # Granted again, /feed enable makes a new webhook instead of reusing the dead one.
        sandbox.set_channel_overwrite("news", "role:Newsdesk")
        await may_make_webhooks(bot, sandbox, True)
        enabled = await sandbox.run_command("/feed enable subscription:1")
        (third,) = sandbox.webhooks("news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5))
        await poll_and_deliver(bot)

        # /feed webhook enabled:true does not reuse a deleted one either.
        sandbox.delete_webhook(third.id)
        await sandbox.run_command("/feed webhook subscription:1 enabled:true")
        (fourth,) = sandbox.webhooks("news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5, 6))
        await poll_and_deliver(bot)

    assert len({first.id, second.id, third.id, fourth.id}) == 4
    posts = [(post.embeds[0]["title"][:7], post.webhook_id) for post in sandbox.posts("news")]
    assert posts == [("Story 3", second.id), ("Story 5", third.id), ("Story 6", fourth.id)]
    (notice,) = sandbox.posts("general")
    assert "the webhook Newsdesk posts through there was deleted" in notice.content
    assert "Manage Webhooks" in notice.content
    assert "no longer exists" not in notice.content
    assert "disabled: the webhook Newsdesk posts through there was deleted" in (
        listed.messages[-1].content
    )
    assert enabled.messages[-1].content.startswith("Posting **Example News** in")
