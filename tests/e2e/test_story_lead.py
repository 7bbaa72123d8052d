"""The best copy leads: an original and a reworded copy of it (the seed article, served from
127.0.0.1) make one post that leads with the original, and quotes come from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from tests.e2e.conftest import BotStarter, poll_and_deliver
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import Route, RouteServer

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "stories"
RELEASES = Path(__file__).resolve().parents[1] / "fixtures" / "releases"
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
ORIGINAL = ("/steppe.xml", "Steppe Review", "/world/china-kazakhstan.html",
            "kazakhstan_original.html")
REWORDED = ("/trend.xml", "Trend Wire", "/world/kazakhstan-china-test.html",
            "kazakhstan_reworded.html")
# The pages' dates, moved to the last day: news is recent when it is posted (a subscription's
# maximum article age holds back older items).
NOW = datetime.now(UTC).replace(microsecond=0)
DATES = {
    "2022-01-13T06:00:00+00:00": NOW - timedelta(hours=20),  # the original
    "2022-01-14T09:30:00+00:00": NOW - timedelta(hours=3),  # the reworded copy
    "2026-11-18T07:00:00+00:00": NOW - timedelta(hours=5),  # the releases
    "2026-11-19T07:00:00+00:00": NOW - timedelta(hours=4),
}
FAITHFUL = "China’s peacekeeping experience informs their evolving approach"
REWORDED_QUOTE = "China’s peacekeeping experience tells their evolving method"


def feed(server: RouteServer, outlet: tuple[str, str, str, str], published: bool) -> bytes:
    _, title, page_path, _ = outlet
    item = (
        f"<item><title>China and Kazakhstan ({escape(title)})</title>"
        f"<link>{server.url(page_path)}</link><guid>{server.url(page_path)}</guid>"
        "<description>China weighs its role in Kazakhstan.</description></item>"
        if published else ""
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{escape(title)}</title>"
        f"<link>{server.url('/')}</link>{item}</channel></rss>"
    ).encode()


def recent(page: str) -> str:
    for fixed, moved in DATES.items():
        page = page.replace(fixed, moved.isoformat())
    return page


def serve(server: RouteServer) -> None:
    for outlet in (ORIGINAL, REWORDED):
        feed_path, _, page_path, fixture = outlet
        page = recent((PAGES / fixture).read_text().replace("{base}", server.base_url))
        server.routes[page_path] = Route(200, HTML, page.encode())
        server.routes[feed_path] = Route(200, RSS, feed(server, outlet, published=False))


def publish(server: RouteServer, outlet: tuple[str, str, str, str]) -> None:
    server.set_body(outlet[0], feed(server, outlet, published=True))


def edits_of(sandbox: Sandbox, post: RecordedMessage) -> list[RecordedMessage]:
    return [m for m in sandbox.messages if m.kind == "edit" and m.edited_message_id == post.id]


def shown(sandbox: Sandbox, post: RecordedMessage) -> dict[str, Any]:
    edits = edits_of(sandbox, post)
    embed: dict[str, Any] = (edits[-1] if edits else post).embeds[0]
    return embed


def assert_leads_with_the_original(
    sandbox: Sandbox, server: RouteServer, post: RecordedMessage
) -> None:
    embed = shown(sandbox, post)
    assert embed["url"] == server.url(ORIGINAL[2])
    assert embed["author"]["name"] == "Steppe Review"
    assert embed["description"].startswith(
        "The last Russian troops returned home from Kazakhstan on Wednesday after suppressing"
        " violent protests"
    )
    assert "the trouble has only just begun" in embed["description"]
    shown_at = datetime.fromisoformat(embed["timestamp"])
    assert shown_at == DATES["2022-01-13T06:00:00+00:00"]
    credits = {field["name"]: field["value"] for field in embed.get("fields", [])}
    assert credits["Also reported by"] == f"[Trend Wire]({server.url(REWORDED[2])})"


async def quotes_shown(sandbox: Sandbox, post: RecordedMessage) -> str:
    with_buttons = [m for m in (post, *edits_of(sandbox, post)) if m.components]
    button = with_buttons[-1].components[0]["components"][0]
    assert button["label"] == "Quotes"
    clicked = await sandbox.click(post.id, button["custom_id"], user="member")
    return clicked.messages[-1].content


@on_both_engines
async def test_original_and_reworded_copy_in_one_poll_make_one_post_leading_with_the_original(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve(feed_server)
    async with start_bot() as bot:
        # The copy's feed is followed first, so its entry is stored (and queued) first.
        for outlet in (REWORDED, ORIGINAL):
            await sandbox.run_command(f"/feed add url:{feed_server.url(outlet[0])} channel:#news")
            publish(feed_server, outlet)
        await poll_and_deliver(bot)
        (post,) = sandbox.posts("news")
        quotes = await quotes_shown(sandbox, post)
        story = await sandbox.run_command(
            f"/story url:{feed_server.url(REWORDED[2])}", user="member"
        )
        by_fung = await sandbox.run_command('/quotes who:"Courtney Fung"', user="member")

    assert_leads_with_the_original(sandbox, feed_server, post)
    assert FAITHFUL in quotes
    assert REWORDED_QUOTE not in quotes
    assert quotes.count("China’s peacekeeping experience") == 1
    # /quotes lists each of Fung's two quotations once, with both sources that carried it.
    listed = by_fung.messages[-1].content
    assert listed.count("China’s peacekeeping experience") == 1
    assert listed.count("China maintains a positive public record") == 1
    assert FAITHFUL in listed
    both = (
        f"[Steppe Review](<{feed_server.url(ORIGINAL[2])}>), "
        f"[Trend Wire](<{feed_server.url(REWORDED[2])}>)"
    )
    assert listed.count(both) == 2
    assert "**Steppe Review** leads: it was published first." in story.messages[-1].content


@pytest.mark.parametrize("first", ["reworded", "original"])
async def test_a_better_source_arriving_later_edits_the_post_to_lead_with_it(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, first: str
) -> None:
    serve(feed_server)
    order = [REWORDED, ORIGINAL] if first == "reworded" else [ORIGINAL, REWORDED]
    async with start_bot() as bot:
        for outlet in order:
            await sandbox.run_command(f"/feed add url:{feed_server.url(outlet[0])} channel:#news")
        for outlet in order:
            publish(feed_server, outlet)
            await poll_and_deliver(bot)
            await bot.settle([], 5.0)
        (post,) = sandbox.posts("news")
        quotes = await quotes_shown(sandbox, post)

    assert post.embeds[0]["author"]["name"] == order[0][1]
    assert edits_of(sandbox, post), "the later arrival edits the post"
    assert_leads_with_the_original(sandbox, feed_server, post)
    assert FAITHFUL in quotes
    assert REWORDED_QUOTE not in quotes


async def test_a_post_from_a_teaser_without_quotes_gets_the_button_with_the_lead_quotes(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve(feed_server)
    # A teaser: the original's first three paragraphs (no quotation), published later.
    original = recent(
        (PAGES / ORIGINAL[3]).read_text().replace("{base}", feed_server.base_url)
    )
    head, _, rest = original.partition("<p>")
    paragraphs = ["<p>" + part for part in rest.split("<p>")][:3]
    teaser_page = head + "".join(paragraphs) + "</article></body></html>"
    teaser_page = teaser_page.replace(
        DATES["2022-01-13T06:00:00+00:00"].isoformat(), NOW.isoformat()
    )
    teaser = ("/brief.xml", "Brief Wire", "/brief/kazakhstan.html", "")
    feed_server.routes[teaser[2]] = Route(200, HTML, teaser_page.encode())
    feed_server.routes[teaser[0]] = Route(200, RSS, feed(feed_server, teaser, published=False))
    async with start_bot() as bot:
        for outlet in (teaser, ORIGINAL):
            await sandbox.run_command(f"/feed add url:{feed_server.url(outlet[0])} channel:#news")
        for outlet in (teaser, ORIGINAL):
            publish(feed_server, outlet)
            await poll_and_deliver(bot)
            await bot.settle([], 5.0)
        (post,) = sandbox.posts("news")
        assert not post.components  # the teaser has no quotation
        quotes = await quotes_shown(sandbox, post)

    assert shown(sandbox, post)["author"]["name"] == "Steppe Review"
    assert FAITHFUL in quotes


async def test_two_press_releases_sharing_the_company_boilerplate_are_two_posts(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    items = []
    for fixture in ("acme_release_warehouse.html", "acme_release_results.html"):
        page = recent((RELEASES / fixture).read_text().replace("{base}", feed_server.base_url))
        path = f"/news/{fixture}"
        feed_server.routes[path] = Route(200, HTML, page.encode())
        items.append(
            f"<item><title>{fixture}</title><link>{feed_server.url(path)}</link>"
            f"<guid>{feed_server.url(path)}</guid></item>"
        )
    feed_server.routes["/acme.xml"] = Route(200, RSS, feed(feed_server, ORIGINAL, False))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url('/acme.xml')} channel:#news")
        feed_server.set_body(
            "/acme.xml",
            (
                "<?xml version='1.0'?><rss version='2.0'><channel><title>Acme Newsroom</title>"
                f"<link>{feed_server.url('/')}</link>{''.join(items)}</channel></rss>"
            ).encode(),
        )
        await poll_and_deliver(bot)
        await bot.settle([], 5.0)

    posts = sandbox.posts("news")
    assert sorted(post.embeds[0]["title"] for post in posts) == [
        "acme_release_results.html", "acme_release_warehouse.html"
    ]


async def test_a_better_source_followed_in_another_channel_edits_the_post_too(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve(feed_server)
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(REWORDED[0])} channel:#news")
        await sandbox.run_command(
            f"/feed add url:{feed_server.url(ORIGINAL[0])} channel:#general"
        )
        for outlet in (REWORDED, ORIGINAL):
            publish(feed_server, outlet)
            await poll_and_deliver(bot)
            await bot.settle([], 5.0)
        (post,) = sandbox.posts("news")
        (elsewhere,) = sandbox.posts("general")

    assert post.embeds[0]["author"]["name"] == "Trend Wire"
    assert edits_of(sandbox, post), "the original's arrival in #general edits the #news post"
    assert_leads_with_the_original(sandbox, feed_server, post)
    assert elsewhere.embeds[0]["author"]["name"] == "Steppe Review"
