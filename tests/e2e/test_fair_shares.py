"""Fair shares for on-demand work, end to end: members' /summarize never holds the pollers'
fetch slots, a member and a server have allowances, and /summarize is for servers only."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from aiohttp import web

from bot.app.settings import Settings
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FAST_TIMINGS, FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.http_servers import Route, RouteServer
from tests.waiting import eventually

PAGE = b"<html><head><title>Late page</title></head><body><p>Words here.</p></body></html>"


async def test_twenty_slow_summaries_leave_the_pollers_slots_to_the_feed_check(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    release = asyncio.Event()

    async def slow_page(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(body=PAGE, content_type="text/html")

    feed_server.routes["/slow.html"] = slow_page
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        fetcher = bot.services.fetcher
        # Twenty members of twenty servers, each within their allowances.
        summaries = [
            asyncio.create_task(
                bot.services.reading.summarize(
                    feed_server.url(f"/slow.html?n={n}"), guild_id=9000 + n, member_id=n
                )
            )
            for n in range(20)
        ]
        try:
            await eventually(lambda: feed_server.count("/slow.html") >= 1)
            assert fetcher.pool.in_use == 0, "a member's fetch holds a poller's slot"
            assert fetcher.on_demand.pool.in_use >= 1

            outbox_ids = await asyncio.wait_for(poll_and_deliver(bot), 60)
            assert len(outbox_ids) == 1
            assert not any(task.done() for task in summaries)
        finally:
            release.set()
        answers = await asyncio.gather(*summaries)
    assert all("Late page" in answer for answer in answers)
    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == [
        "Story 3: Mayor & council agree"
    ]


async def test_a_member_summarizing_too_often_is_told_when_to_try_again(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/page.html"] = Route(200, {"Content-Type": "text/html"}, PAGE)
    async with start_bot():
        for _ in range(3):
            done = await sandbox.run_command(
                f"/summarize url:{feed_server.url('/page.html')}", user="member"
            )
            assert "Late page" in done.messages[-1].content
        refused = await sandbox.run_command(
            f"/summarize url:{feed_server.url('/page.html')}", user="member"
        )
        other = await sandbox.run_command(
            f"/summarize url:{feed_server.url('/page.html')}", user="admin"
        )
    reply = refused.messages[-1]
    assert reply.ephemeral
    assert reply.content.startswith(
        "You have used /summarize 3 times in the last minute: try again in "
    )
    assert reply.content.endswith(" seconds.")
    assert feed_server.count("/page.html") == 4  # the refused one fetched nothing
    assert "Late page" in other.messages[-1].content  # another member has their own allowance


async def test_summarize_is_a_server_command(sandbox: Sandbox, start_bot: BotStarter) -> None:
    async with start_bot() as bot:
        command = bot.tree.get_command("summarize")
        assert command is not None and command.guild_only
        synced = {c["name"]: c for c in sandbox.state.commands[sandbox.world.guild_id]}
        assert synced["summarize"].get("contexts") in ([0], None)
        assert synced["summarize"].get("dm_permission") is False


async def test_a_feed_that_never_answers_holds_back_no_other_feed(
    sandbox: Sandbox, settings: Settings, feed_server: RouteServer
) -> None:
    release = asyncio.Event()

    async def hanging(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(body=rss(1, title="Slow"), content_type="application/rss+xml")

    feed_server.routes["/slow.xml"] = Route(200, {"Content-Type": "application/rss+xml"}, rss(1))
    ticking = replace(settings, scheduler_tick_seconds=0.2, default_interval_seconds=1,
                      min_interval_seconds=1)
    async with bot_in_sandbox(sandbox, ticking, timings=FAST_TIMINGS):
        await sandbox.run_command(f"/feed add url:{feed_server.url('/slow.xml')} channel:#world")
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.routes["/slow.xml"] = hanging  # another server's feed: its site hangs
        await eventually(lambda: feed_server.count("/slow.xml") >= 2, timeout=30)
        try:
            for number in (3, 4):
                feed_server.set_body(FEED_PATH, rss(*range(1, number + 1)))
                wanted = f"story-{number}"

                def posted(wanted: str = wanted) -> bool:
                    return any(
                        str(post.embeds[0]["url"]).endswith(wanted)
                        for post in sandbox.posts("news")
                    )

                await eventually(
                    posted,
                    # Less than the hanging fetch's 15 s time-out: before, the round it was
                    # in (and so every other feed's next check) waited for it.
                    timeout=10,
                    message=f"story {number} was not posted while another feed hung",
                )
        finally:
            release.set()
