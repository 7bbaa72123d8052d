"""The maximum article age: an item published long before it appeared is not posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer


def dated_feed(*items: tuple[str, timedelta]) -> bytes:
    """A feed whose items (key, age) were published ``age`` ago."""
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>Story {key}</title><link>https://news.example/{key}</link>"
        f"<guid>{key}</guid><description>Text of {key}.</description>"
        f"<pubDate>{(now - age).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for key, age in items
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


@on_both_engines
async def test_items_older_than_the_maximum_age_are_not_posted_and_why_says_so(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    seeded = ("seed", timedelta(hours=5))
    fresh, dated = ("fresh", timedelta(hours=2)), ("republished", timedelta(days=542))
    feed_server.set_body(FEED_PATH, dated_feed(seeded))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, dated_feed(fresh, seeded, dated))
        await poll_and_deliver(bot)
        why = await sandbox.run_command("/feed why url:https://news.example/republished")
        changed = await sandbox.run_command("/feed maxage subscription:1 days:0")
        feed_server.set_body(
            FEED_PATH, dated_feed(("old-but-wanted", timedelta(days=30)), fresh, seeded, dated)
        )
        await poll_and_deliver(bot)

    titles = [post.embeds[0]["title"] for post in sandbox.posts("news")]
    assert titles == ["Story fresh", "Story old-but-wanted"]
    assert sandbox.render_mentions(why.messages[-1].content) == (
        "**Story republished**\nNot posted in #news from **Wire**: it is too old — it was "
        "published 542 days before it appeared in the feed, and this subscription posts "
        "nothing older than 3 days. /feed maxage subscription:1 changes that limit."
    )
    assert changed.messages[-1].content == (
        "Subscription #1 (**Wire**) now posts new items whatever their publication date."
    )
