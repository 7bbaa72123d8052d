"""One post per story: an original, a republication and a reworded copy in one channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from bot.sandbox.newswire import DemoNewswire, Story
from tests.e2e.conftest import BotStarter, poll_and_deliver
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import Route, RouteServer

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "stories"
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
RECENT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
OUTLETS = {
    # feed path: (feed title, page path served, page fixture)
    "/herald.xml": ("Lakeside Herald", "/news/floating-solar.html", "original.html"),
    "/digest.xml": ("Daily Energy Digest", "/digest/solar-farm.html", "republished.html"),
    "/spin.xml": ("Spin Times", "/spin/solar-plant.html", "reworded.html"),
}


def original_base(server: RouteServer) -> str:
    """The original publisher's site: the same server under another host name."""
    return server.base_url.replace("127.0.0.1", "localhost")


def page_url(server: RouteServer, feed_path: str) -> str:
    base = original_base(server) if feed_path == "/herald.xml" else server.base_url
    return base + OUTLETS[feed_path][1]


def feed(title: str, server: RouteServer, link: str | None) -> bytes:
    items = [
        "<item><title>An unrelated older story</title>"
        f"<link>{server.url('/old/' + title.replace(' ', '-'))}</link>"
        f"<guid>old-{escape(title)}</guid></item>"
    ]
    if link is not None:
        items.insert(
            0,
            f"<item><title>Floating solar farm approved</title><link>{link}"
            f"</link><guid>{link}</guid><description>Port Averell will build a floating "
            "solar farm.</description></item>",
        )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{escape(title)}</title>"
        f"<link>{server.url('/')}</link>{''.join(items)}</channel></rss>"
    ).encode()


def serve_outlets(server: RouteServer) -> None:
    for feed_path, (title, page_path, fixture) in OUTLETS.items():
        page = (PAGES / fixture).read_text().replace("{base}", original_base(server))
        # The original's page carries a date: keep it recent, as news is when it is posted.
        page = page.replace("2026-11-20T08:30:00+00:00", RECENT.isoformat())
        server.routes[page_path] = Route(200, HTML, page.encode())
        server.routes[feed_path] = Route(200, RSS, feed(title, server, None))


def publish(server: RouteServer, feed_path: str) -> None:
    title, _, _ = OUTLETS[feed_path]
    server.set_body(feed_path, feed(title, server, page_url(server, feed_path)))


def latest_embed(sandbox: Sandbox, post: RecordedMessage) -> dict[str, Any]:
    edits = [m for m in sandbox.messages if m.kind == "edit" and m.edited_message_id == post.id]
    return (edits[-1] if edits else post).embeds[0]


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


@pytest.mark.parametrize(
    "order",
    [
        ["/digest.xml", "/herald.xml", "/spin.xml"],
        ["/spin.xml", "/digest.xml", "/herald.xml"],
        ["/herald.xml", "/spin.xml", "/digest.xml"],
    ],
)
async def test_three_outlets_one_post_crediting_the_original(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, order: list[str]
) -> None:
    serve_outlets(feed_server)
    async with start_bot() as bot:
        for feed_path in OUTLETS:
            await sandbox.run_command(f"/feed add url:{feed_server.url(feed_path)} channel:#news")
        for feed_path in order:
            publish(feed_server, feed_path)
            await poll_and_deliver(bot)
        await bot.settle([], 5.0)

    posts = sandbox.posts("news")
    assert len(posts) == 1, [p.embeds[0]["title"] for p in posts]
    embed = latest_embed(sandbox, posts[0])
    credits = fields(embed)
    original_page = page_url(feed_server, "/herald.xml")
    # Whichever outlet came first, the post ends up leading with the original.
    assert embed["url"] == original_page
    assert embed["author"]["name"] == "Lakeside Herald"
    assert embed["description"].startswith("The city council of Port Averell voted")
    assert "Originally published by" not in credits  # the post is the original itself
    for outlet in ("Daily Energy Digest", "Spin Times"):
        assert f"[{outlet}](" in credits["Also reported by"]


@on_both_engines
async def test_story_lists_every_source_and_copies_can_be_posted_per_subscription(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve_outlets(feed_server)
    async with start_bot() as bot:
        for feed_path in OUTLETS:
            await sandbox.run_command(f"/feed add url:{feed_server.url(feed_path)} channel:#news")
        views = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
        spin = next(view for view in views if view.feed_title == "Spin Times")
        toggled = await sandbox.run_command(
            f"/feed copies subscription:{spin.subscription.id} post:true"
        )
        assert "**Spin Times** in" in toggled.messages[-1].content
        for feed_path in ["/herald.xml", "/digest.xml", "/spin.xml"]:
            publish(feed_server, feed_path)
            await poll_and_deliver(bot)
        story = await sandbox.run_command(
            f"/story url:{page_url(feed_server, '/digest.xml')}", user="member"
        )
        unknown = await sandbox.run_command("/story url:https://nowhere.example/a")

    assert [post.embeds[0]["author"]["name"] for post in sandbox.posts("news")] == [
        "Lakeside Herald", "Spin Times"
    ]
    text = story.messages[-1].content
    assert "carried by 3 sources" in text
    for outlet in ("• Lakeside Herald (original): first seen", "• Daily Energy Digest: first seen",
                   "• Spin Times: first seen"):
        assert outlet in text
    assert unknown.messages[-1].content.startswith("Newsdesk has no story for")


@on_both_engines
async def test_copies_arriving_in_the_same_poll_make_one_post(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve_outlets(feed_server)
    async with start_bot() as bot:
        for feed_path in OUTLETS:
            await sandbox.run_command(f"/feed add url:{feed_server.url(feed_path)} channel:#news")
        for feed_path in OUTLETS:
            publish(feed_server, feed_path)
        await poll_and_deliver(bot)
    posts = sandbox.posts("news")
    assert len(posts) == 1
    credits = fields(latest_embed(sandbox, posts[0]))
    assert credits.get("Also reported by")


@on_both_engines
async def test_a_copy_that_changes_nothing_on_the_post_sends_no_edit(
    sandbox: Sandbox, start_bot: BotStarter
) -> None:
    # The demo newswire used to republish its stories under "(follow-up 1)" titles: each was a
    # copy from the post's own feed, so the refreshed card was the card already posted, and
    # Discord would have marked the post "(edited)" for nothing.
    body = (
        "The harbour ferry will run every ten minutes from Monday, the transport office said."
        " Two new boats joined the fleet after a year of trials on the northern route."
        " Commuters asked for the change in a survey last spring, and fares stay the same."
    )
    already_published = tuple(
        Story(f"Older story {n}", f"Older story number {n} happened.", "Jo Park", "Local")
        for n in range(1, 4)
    )
    stories = (
        *already_published,
        Story("Harbour ferry runs every ten minutes", body, "Ana Ruiz", "Local"),
        Story("Ferry timetable: every ten minutes from Monday", body, "Ana Ruiz", "Local"),
    )
    async with DemoNewswire(interval_seconds=None, stories=stories) as wire, start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{wire.feed_url} channel:#news")
        wire.publish_next()
        await poll_and_deliver(bot)
        assert len(sandbox.posts("news")) == 1
        wire.publish_next()
        await poll_and_deliver(bot)
        await bot.settle([], 5.0)
    assert len(sandbox.posts("news")) == 1  # the second item joined the first one's story
    assert [m for m in sandbox.messages if m.kind == "edit"] == []
