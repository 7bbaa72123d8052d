"""Reading commands end to end: the Quotes button under a post, and /summarize."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import BotStarter, poll_and_deliver
from tests.e2e.test_stories import HTML, OUTLETS, RSS, page_url, publish, serve_outlets
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


HANCOCK_PAGE = """<html><head><title>Ministers pressed on Covid rules</title>
<meta property="article:published_time" content="{published}"></head><body><article>
<h1>Ministers pressed on Covid rules</h1>
<p>Health secretary Matt Hancock was forced onto the defensive in the House of Commons by
Tory MPs who said the new offences were poorly communicated to the public.</p>
<p>Former chief whip Mark Harper told him the rules ran to twelve pages of detailed law with
serious criminal penalties for employers and directors.</p>
<p>Mr Hancock responded: “Sometimes in this pandemic we have had to move fast, and we may
need to again. We will always bring the rules before the House as soon as we can.”</p>
<p>The measures will be reviewed by the House within a month, officials said on Tuesday.</p>
</article></body></html>"""


async def test_quotes_finds_mr_x_responded_by_surname_full_name_and_title(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    # Issue 16: "/quotes who:Hancock found nothing though /summarize showed his quote".
    published = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    page = HANCOCK_PAGE.format(published=published.isoformat()).encode()
    feed_server.routes["/commons.html"] = Route(200, HTML, page)
    link = feed_server.url("/commons.html")
    channel = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Commons Watch</title>"
        f"<link>{feed_server.url('/')}</link>{{items}}</channel></rss>"
    )
    item = (
        f"<item><title>Ministers pressed on Covid rules</title><link>{link}</link>"
        f"<guid>{link}</guid></item>"
    )
    feed_server.routes["/commons.xml"] = Route(200, RSS, channel.format(items="").encode())
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url('/commons.xml')} channel:#news")
        feed_server.set_body("/commons.xml", channel.format(items=item).encode())
        await poll_and_deliver(bot)
        assert sandbox.posts("news"), "the article was not posted"
        replies = [
            (await sandbox.run_command(f'/quotes who:"{who}"', user="member")).messages[-1].content
            for who in ("Hancock", "Matt Hancock", "Mr Hancock", "Health secretary Matt Hancock")
        ]
    for reply in replies:
        assert reply.startswith("Recent quotes by"), reply
        assert "Sometimes in this pandemic we have had to move fast" in reply
        assert "— Matt Hancock" in reply


async def test_summarize_links_the_original_under_its_publishers_name(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve_outlets(feed_server)
    async with start_bot():
        outcome = await sandbox.run_command(
            f"/summarize url:{page_url(feed_server, '/digest.xml')}", user="member"
        )
    text = outcome.messages[-1].content
    original = page_url(feed_server, "/herald.xml")
    assert "Originally published by [" in text and f"](<{original}>)" in text, text
    assert f" <{original}>" not in text


async def test_a_webhook_post_carries_the_quotes_button_too(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve_outlets(feed_server)
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url('/herald.xml')} channel:#news")
        await sandbox.run_command("/feed webhook subscription:1 enabled:true")
        publish(feed_server, "/herald.xml")
        await poll_and_deliver(bot)
        (post,) = sandbox.posts("news")
        assert post.webhook_id is not None
        button = post.components[0]["components"][0]
        assert button["label"] == "Quotes"
        clicked = await sandbox.click(post.id, button["custom_id"], user="member")
    reply = clicked.messages[-1]
    assert reply.ephemeral
    assert "We spent years wondering what to do with a lake nobody could swim in" in reply.content


async def test_a_byline_with_a_number_keeps_it(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve_outlets(feed_server)
    page_path = OUTLETS["/herald.xml"][1]
    page = feed_server.routes[page_path]
    assert isinstance(page, Route)
    feed_server.routes[page_path] = Route(
        200, page.headers, page.body.replace(b'content="Ingrid Solberg"', b'content="Reporter 36"')
    )
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url('/herald.xml')} channel:#news")
        publish(feed_server, "/herald.xml")
        await poll_and_deliver(bot)
    (post,) = sandbox.posts("news")
    assert post.embeds[0]["footer"]["text"] == "By Reporter 36"
