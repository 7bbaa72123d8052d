"""Every reply fits Discord's 2,000 characters, whatever the length of a feed's title, an
item's title or its link (Discord refuses a longer one with 50035)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter
from tests.fixtures.http_servers import RouteServer

MESSAGE_LIMIT = 2000
LONG_TITLE = "Breaking " + " ".join(f"word{n}" for n in range(1500))  # ~11,000 characters


def long_feed() -> bytes:
    link = "https://news.example/" + "a" * 3000
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(LONG_TITLE)}</title><link>https://news.example/</link>"
        "<description>Long</description>"
        f"<item><title>{escape(LONG_TITLE)}</title><link>{link}</link><guid>one</guid>"
        "<pubDate>Sun, 01 Nov 2026 09:00:00 +0000</pubDate>"
        "<description>One sentence.</description></item>"
        "</channel></rss>"
    ).encode()


async def test_replies_naming_a_very_long_feed_title_fit_one_message(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, long_feed())
    lines = [
        f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news",
        "/feed interval subscription:1 minutes:30",
        "/feed copies subscription:1 post:true",
        "/feed enable subscription:1",
        "/feed ping subscription:1 role:@tech-desk",
        "/feed webhook subscription:1 enabled:true",
        '/feed template subscription:1 template:"{title} {title} {title}"',
        "/feed list",
        "/feed status",
        "/feed remove subscription:1",
    ]
    async with start_bot():
        outcomes = {line: await sandbox.run_command(line) for line in lines}
    replies = {line: outcome.messages[-1] for line, outcome in outcomes.items()}
    too_long = {line: len(reply.content) for line, reply in replies.items()
                if len(reply.content) > MESSAGE_LIMIT}
    assert too_long == {}
    for line, reply in replies.items():
        assert "Something went wrong" not in reply.content, line
        assert "Breaking word0 word1" in reply.content, line
        assert "…" in reply.content, line
    preview = replies[lines[6]]
    assert preview.content.startswith("**Preview** (press Save to use it for #1):")
    assert preview.components, "the preview keeps its Save and Cancel buttons"
