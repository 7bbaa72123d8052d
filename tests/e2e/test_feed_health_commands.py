"""/feed add backfill, /feed status, /feed refresh and the log channel, end to end."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer


async def test_backfill_posts_the_latest_items_once_oldest_first(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5))
    async with start_bot() as bot:
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news backfill:2"
        )
        assert "The latest 2 items will be posted there now" in outcome.messages[-1].content
        await sandbox.wait_for_posts("news", count=2, timeout=10.0)
        assert await poll_and_deliver(bot) == []
    titles = [post.embeds[0]["title"] for post in sandbox.posts("news")]
    assert titles == ["Story 4: Mayor & council agree", "Story 5: Mayor & council agree"]


async def test_backfill_out_of_range_is_refused_by_discord(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot():
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news backfill:11"
        )
    assert outcome.refused is not None
    assert feed_server.count(FEED_PATH) == 0


async def test_status_shows_health_and_refresh_checks_now_once_a_minute(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
        number = view.subscription.id

        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        refreshed = await sandbox.run_command(f"/feed refresh subscription:{number}")
        assert "Checked **Example News** now: 1 new post." in refreshed.messages[-1].content
        await sandbox.wait_for_posts("news", count=1, timeout=10.0)

        again = await sandbox.run_command(f"/feed refresh subscription:{number}")
        assert "was checked less than a minute ago" in again.messages[-1].content

        status = await sandbox.run_command("/feed status")
        text = sandbox.render_mentions(status.messages[-1].content)
        assert f"`#{number}` **Example News** → #news · ✅ ok" in text
        assert "0 errors in a row · 3 items in 7 days" in text


async def test_notices_go_to_the_log_channel_when_one_is_set(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        answer = await sandbox.run_command("/newsdesk settings log_channel:#general")
        assert sandbox.render_mentions(answer.messages[-1].content) == (
            "Notices about feeds and channels go to #general."
        )
        feed_server.routes[FEED_PATH] = (404, {}, b"")
        for _ in range(3):
            await poll_and_deliver(bot)
        await sandbox.wait_for_posts("general", count=1, timeout=10.0)
    assert sandbox.posts("news") == []
    (notice,) = sandbox.posts("general")
    assert "failed 3 checks in a row" in notice.content
    assert notice.allowed_mentions == {"parse": []}


async def test_member_cannot_change_settings(sandbox: Sandbox, start_bot: BotStarter) -> None:
    async with start_bot():
        outcome = await sandbox.run_command(
            "/newsdesk settings log_channel:#general", user="member"
        )
    assert outcome.refused is not None


@on_both_engines
async def test_backfill_of_a_feed_another_channel_follows_posts_and_blocks_nothing(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)  # stories 3 and 4 are read and posted in #news
        await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#world backfill:2"
        )
        await sandbox.wait_for_posts("world", count=2, timeout=10.0)
        why = await sandbox.run_command("/feed why url:https://news.example/story-4")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5))
        await poll_and_deliver(bot)
    titles = [post.embeds[0]["title"][:7] for post in sandbox.posts("world")]
    assert titles == ["Story 3", "Story 4", "Story 5"]
    assert "shortly" not in why.messages[-1].content
    assert why.messages[-1].content.count("Posted in") == 2
