"""/feed preview: what a feed's latest items did, or would do, in the subscription's channel."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver
from tests.e2e.test_max_age import dated_feed
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer


@on_both_engines
async def test_preview_says_posted_filtered_too_old_and_what_an_unoffered_item_would_do(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    seed = ("seed", timedelta(hours=5))
    fresh, sport = ("fresh", timedelta(hours=2)), ("sport", timedelta(hours=3))
    old = ("republished", timedelta(days=542))
    feed_server.set_body(FEED_PATH, dated_feed(seed))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await sandbox.run_command(
            "/filter add target:subscription number:1 action:exclude match:word pattern:sport"
        )
        feed_server.set_body(FEED_PATH, dated_feed(fresh, sport, seed, old))
        await poll_and_deliver(bot)
        (post,) = sandbox.posts("news")
        preview = await sandbox.run_command("/feed preview subscription:1")

    guild, channel = sandbox.world.guild_id, sandbox.world.channel_id("news")
    lines = sandbox.render_mentions(preview.messages[-1].content).splitlines()
    assert lines == [
        "The latest 4 items of **Wire** in #news (subscription #1):",
        "`1.` [Story fresh](<https://news.example/fresh>) — ✅ posted: "
        f"https://discord.com/channels/{guild}/{channel}/{post.id}",
        "`2.` [Story sport](<https://news.example/sport>) — 🚫 filtered by rule #1 (excluded "
        'by exclude any word "sport")',
        "`3.` [Story seed](<https://news.example/seed>) — ➖ not offered (in the feed before "
        "posting started or resumed); now it would be posted",
        "`4.` [Story republished](<https://news.example/republished>) — 🕰️ too old: it was "
        "published 542 days before it appeared in the feed, and this subscription posts "
        "nothing older than 3 days",
    ]
