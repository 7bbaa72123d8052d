"""Items whose links cannot be fetched are posted from the feed's text; polling goes on.

Before, a link with an undecodable punycode host (``http://xn--a-/x``) made the fetcher raise
``UnicodeError``: reading stopped at that item, and with it every post after it.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver
from tests.fixtures.http_servers import RouteServer

HOSTILE_LINKS = {
    "punycode": "http://xn--a-/x",
    "bad-punycode": "http://xn--zz.example/x",
    "long-label": "http://" + "a" * 64 + ".example/x",
    "empty-label": "http://a..example/x",
}


def feed(*keys: str) -> bytes:
    items = "".join(
        f"<item><title>Item {key}</title><link>{escape(HOSTILE_LINKS.get(key, f'https://news.example/{key}'))}</link>"
        f"<guid>{key}</guid><description>Text of {key}.</description></item>"
        for key in keys
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


async def test_items_with_unfetchable_links_do_not_stop_their_feed(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, feed("old"))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, feed(*HOSTILE_LINKS, "first"))
        await poll_and_deliver(bot)
        feed_server.set_body(FEED_PATH, feed(*HOSTILE_LINKS, "first", "second"))
        await poll_and_deliver(bot)
        listed = await sandbox.run_command("/feed list")

    titles = [post.embeds[0]["title"] for post in sandbox.posts("news")]
    assert sorted(titles) == sorted(
        [f"Item {key}" for key in HOSTILE_LINKS] + ["Item first", "Item second"]
    )
    assert titles[-1] == "Item second"
    assert "failing" not in listed.messages[-1].content.lower()
