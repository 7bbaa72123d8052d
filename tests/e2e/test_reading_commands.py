"""Reading commands end to end: the Quotes button under a post, and /summarize."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import BotStarter, poll_and_deliver
from tests.e2e.test_stories import publish, serve_outlets
from tests.fixtures.http_servers import Route, RouteServer

SEED_PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "seed_republished.html"


async def test_a_post_with_quotes_has_a_button_showing_them(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve_outlets(feed_server)
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url('/herald.xml')} channel:#news")
        publish(feed_server, "/herald.xml")
        await poll_and_deliver(bot)
        (post,) = sandbox.posts("news")
        button = post.components[0]["components"][0]
        assert button["label"] == "Quotes"
        clicked = await sandbox.click(post.id, button["custom_id"], user="member")
    reply = clicked.messages[-1]
    assert reply.ephemeral
    assert "We spent years wondering what to do with a lake nobody could swim in" in reply.content
    assert "Tomasz Wreczycki" in reply.content


async def test_summarize_any_article_page(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/seed.html"] = Route(
        200, {"Content-Type": "text/html; charset=utf-8"}, SEED_PAGE.read_bytes()
    )
    async with start_bot():
        outcome = await sandbox.run_command(
            f"/summarize url:{feed_server.url('/seed.html')}", user="member"
        )
        feed = await sandbox.run_command(
            f"/summarize url:{feed_server.url('/feed.xml')}", user="member"
        )
    text = outcome.messages[-1].content
    assert outcome.messages[-1].ephemeral
    assert "Kazakhstan" in text
    assert "Collective Security Treaty Organization (CSTO)" in text
    assert "Zhang Xin" in text
    assert feed.messages[-1].content == (
        "That address is not a web page Newsdesk can read as an article."
    )
