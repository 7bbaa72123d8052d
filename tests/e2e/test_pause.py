"""/feed pause and /feed resume: an admin's switch, apart from Newsdesk's enable/disable."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.records import CommandOutcome
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer


@on_both_engines
async def test_a_paused_subscription_posts_nothing_until_resumed_and_why_says_so(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        never_stopped = await sandbox.run_command("/feed enable subscription:1")
        paused = await sandbox.run_command("/feed pause subscription:1")
        again = await sandbox.run_command("/feed pause subscription:1")
        feed_server.set_body(FEED_PATH, rss(1, 2))
        await poll_and_deliver(bot)
        status = await sandbox.run_command("/feed status")
        listed = await sandbox.run_command("/feed list")
        why_paused = await sandbox.run_command("/feed why url:https://news.example/story-2")
        enable_paused = await sandbox.run_command("/feed enable subscription:1")
        resumed = await sandbox.run_command("/feed resume subscription:1")
        not_paused = await sandbox.run_command("/feed resume subscription:1")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
        why_resumed = await sandbox.run_command("/feed why url:https://news.example/story-2")

    def said(outcome: CommandOutcome) -> str:
        return sandbox.render_mentions(outcome.messages[-1].content)

    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == [
        "Story 3: Mayor & council agree"
    ]
    assert said(never_stopped) == (
        "Posting **Example News** in #news already: it was never stopped, so nothing changed."
    )
    assert said(paused) == (
        "Paused **Example News** in #news: nothing new is posted there until /feed resume "
        "subscription:1 (posts already on their way still go out)."
    )
    assert said(again) == (
        "**Example News** in #news is paused already; /feed resume subscription:1 ends it."
    )
    assert "⏸️ paused since <t:" in said(status)
    assert "/feed resume subscription:1 posts again" in said(status)
    assert "· ⏸️ paused" in said(listed)
    assert said(why_paused).startswith(
        "**Story 2: Mayor & council agree**\nNot posted in #news: it appeared in "
        "**Example News** while the subscription is paused (since <t:"
    )
    assert said(enable_paused).endswith(
        "is paused: /feed resume subscription:1 posts its new articles again."
    )
    assert said(resumed) == (
        "Resumed **Example News** in #news: new articles appear there from now on; what the "
        "feed published while it was paused is not posted."
    )
    assert said(not_paused) == (
        "**Example News** in #news is not paused: its new articles are posted already."
    )
    assert "was already in the feed when posting resumed (<t:" in said(why_resumed)
    assert "kept no reason" not in said(why_resumed)
