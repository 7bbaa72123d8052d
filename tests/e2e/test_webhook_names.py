"""Webhook posting under a feed title Discord would refuse as a name (it holds "discord")."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.http_servers import RouteServer


async def test_a_feed_titled_discord_weekly_posts_through_its_webhook(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1, title="DISCORD Weekly"))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await sandbox.run_command("/feed webhook subscription:1 enabled:true")
        feed_server.set_body(FEED_PATH, rss(1, 2, title="DISCORD Weekly"))
        await poll_and_deliver(bot)
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, title="DISCORD Weekly"))
        await poll_and_deliver(bot)
        listed = await sandbox.run_command("/feed list")

    posts = sandbox.posts("news")
    assert [post.embeds[0]["title"] for post in posts] == [
        "Story 2: Mayor & council agree", "Story 3: Mayor & council agree"
    ]
    assert all(post.webhook_id is not None for post in posts)
    assert "disabled" not in listed.messages[-1].content.lower()
