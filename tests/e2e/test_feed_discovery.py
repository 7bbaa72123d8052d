"""/feed add with a site or article address: the feed is found, or the admin chooses."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, rss
from tests.fixtures.http_servers import Route, RouteServer

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}


def page(*links: tuple[str, str]) -> bytes:
    heads = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">'
        for title, href in links
    )
    return (
        f"<!doctype html><html><head><title>Site</title>{heads}</head>"
        "<body><p>An article.</p></body></html>"
    ).encode()


async def test_an_article_page_leads_to_its_declared_feed(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/2026/11/story.html"] = Route(200, HTML, page(("Main", "/feed.xml")))
    async with start_bot() as bot:
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url('/2026/11/story.html')} channel:#news"
        )
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
    assert "Now following **Example News**" in outcome.messages[-1].content
    assert view.feed_url == feed_server.url(FEED_PATH)


async def test_a_page_with_several_feeds_lets_the_admin_choose(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/"] = Route(
        200, HTML, page(("All stories", "/feed.xml"), ("Sport", "/sport.xml"))
    )
    feed_server.routes["/sport.xml"] = Route(200, RSS, rss(7, title="Sport Desk"))
    async with start_bot() as bot:
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url('/')} channel:#news"
        )
        menu_message = outcome.messages[-1]
        assert menu_message.content.startswith("That page offers 2 feeds.")
        select = menu_message.components[0]["components"][0]
        assert [option["label"] for option in select["options"]] == ["All stories", "Sport"]

        stranger = await sandbox.click(
            menu_message.id, select["custom_id"], values=["1"], user="member"
        )
        assert stranger.messages[-1].content == (
            "Only the person who ran /feed add can choose here."
        )
        assert await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id) == []

        chosen = await sandbox.click(menu_message.id, select["custom_id"], values=["1"])
        assert "Now following **Sport Desk** in" in chosen.messages[-1].content
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
    assert view.feed_url == feed_server.url("/sport.xml")


async def test_a_page_without_feed_links_is_probed_at_common_paths(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/about"] = Route(200, HTML, page())
    feed_server.routes["/feed"] = Route(200, RSS, rss(1, title="Probed Feed"))
    async with start_bot():
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url('/about')} channel:#news"
        )
    assert "Now following **Probed Feed**" in outcome.messages[-1].content


async def test_a_page_leading_nowhere_gets_a_clear_sentence(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/plain"] = Route(200, HTML, page())
    del feed_server.routes[FEED_PATH]  # no feed at any of the common paths either
    async with start_bot():
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url('/plain')} channel:#news"
        )
    assert outcome.messages[-1].content.startswith(
        "That page is not a feed and Newsdesk found no feed on it."
    )


async def test_feeds_with_blank_titles_get_a_label_in_the_menu(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/"] = Route(
        200, HTML, page(("\u3164", "/feed.xml"), ("\u200b \u202e", "/sport.xml"))
    )
    async with start_bot():
        outcome = await sandbox.run_command(f"/feed add url:{feed_server.url('/')} channel:#news")
    select = outcome.messages[-1].components[0]["components"][0]
    labels = [option["label"] for option in select["options"]]
    assert len(labels) == 2
    assert all(label.strip() and label.isprintable() for label in labels), labels
