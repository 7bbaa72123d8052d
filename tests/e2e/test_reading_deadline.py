"""The reader reads pages in worker processes with a deadline: a page whose reading never
ends is stopped, its article is posted from the feed's text, and the other articles go on."""

from __future__ import annotations

import logging
from dataclasses import replace
from xml.sax.saxutils import escape

import pytest

from bot.app.settings import Settings
from bot.pipeline.read import page_reading
from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver
from tests.fixtures.http_servers import RouteServer
from tests.fixtures.slow_reading import read_page_forever_when_marked

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, read_deadline_seconds=3.0, read_workers=1)


def page(title: str, body: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{body}</p></article></body></html>"
    ).encode()


def feed(server: RouteServer, *keys: str) -> bytes:
    items = "".join(
        f"<item><title>Item {key}</title><link>{escape(server.url(f'/{key}.html'))}</link>"
        f"<guid>{key}</guid><description>Feed text of {key}.</description></item>"
        for key in keys
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


async def test_a_page_read_past_the_deadline_is_posted_from_the_feed_and_reading_goes_on(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(page_reading, "read_page", read_page_forever_when_marked)
    feed_server.set_body("/slow.html", page("Slow page", "TAKES-FOREVER"), HTML)
    quick = page("Quick page", "Everything went well at the harbour festival this weekend.")
    feed_server.set_body("/quick.html", quick, HTML)
    feed_server.set_body(FEED_PATH, feed(feed_server, "old"))
    caplog.set_level(logging.INFO, logger="bot.pipeline.read.reader")
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, feed(feed_server, "quick", "slow"))
        await poll_and_deliver(bot)
        feed_server.set_body(FEED_PATH, feed(feed_server, "quick", "slow", "after"))
        after = page("After page", "Read after the slow one: the school choir won in Vienna.")
        feed_server.set_body("/after.html", after, HTML)
        await poll_and_deliver(bot)

    posts = {post.embeds[0]["title"]: post.embeds[0] for post in sandbox.posts("news")}
    assert set(posts) == {"Item slow", "Item quick", "Item after"}
    assert "Feed text of slow." in posts["Item slow"]["description"]
    assert "Everything went well" in posts["Item quick"]["description"]
    assert "Read after the slow one" in posts["Item after"]["description"]
    assert any(
        "took longer than 3 s to read that page" in record.getMessage()
        for record in caplog.records
    )
