"""/digest end to end: ranked stories with their sources, now and on schedule."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import BotStarter, poll_and_deliver
from tests.e2e.test_stories import OUTLETS, publish, serve_outlets
from tests.fixtures.bot_storage import bot_storage
from tests.fixtures.http_servers import RouteServer


async def test_digest_lists_stories_with_source_counts_now_and_on_schedule(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve_outlets(feed_server)
    async with start_bot() as bot:
        for feed_path in OUTLETS:
            await sandbox.run_command(f"/feed add url:{feed_server.url(feed_path)} channel:#news")
        for feed_path in OUTLETS:
            publish(feed_server, feed_path)
        await poll_and_deliver(bot)
        preview = await sandbox.run_command("/digest now", user="member")

        scheduled = await sandbox.run_command(
            "/digest schedule channel:#general frequency:daily time:08:30 timezone:Europe/Berlin"
        )
        assert "Digest scheduled: " in scheduled.messages[-1].content
        bad = await sandbox.run_command(
            "/digest schedule channel:#general frequency:weekly time:08:30"
        )
        assert bad.messages[-1].content == "A weekly digest needs a weekday, for example monday."

        # Make it due, run the scheduler's step twice: one digest, sent once.
        services = bot.services
        (digest,) = await services.digests.list_schedules(sandbox.world.guild_id)
        async with bot_storage(bot) as storage:
            await storage.digests.record_run(
                digest, None, next_run_at=services.clock() - timedelta(minutes=1),
                now=services.clock(),
            )
        assert await services.digests.run_due() == 1
        assert await services.digests.run_due() == 0
        await bot.settle([], 10.0)
        await sandbox.wait_for_posts("general", count=1, timeout=10.0)

    text = preview.messages[-1].content
    assert text.startswith("📰 **Top stories of the past day**")
    assert "**1.** [Floating solar farm approved]" in text
    assert "3 sources: Lakeside Herald" in text
    (posted,) = sandbox.posts("general")
    assert posted.content.startswith("📰 **Top stories of the past day**")
    assert "3 sources" in posted.content
