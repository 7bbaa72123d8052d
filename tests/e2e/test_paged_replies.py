"""Replies longer than one message come in pages with /search's Previous/Next buttons."""

from __future__ import annotations

import random
import re
from xml.sax.saxutils import escape

from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.records import RecordedMessage
from tests.e2e.conftest import BotStarter, last_edit, poll_and_deliver
from tests.fixtures.http_servers import Route, serve_routes

FEEDS = 20
RSS = {"Content-Type": "application/rss+xml"}


VOCABULARY = [
    "river", "meadow", "school", "clinic", "market", "bridge", "station", "library", "tram",
    "museum", "farm", "factory", "airport", "stadium", "forest", "valley", "tunnel", "canal",
    "garden", "theatre", "hospital", "college", "port", "dam",
]


def words(seed: int) -> str:
    """Twenty words no other story shares in the same order, so no two are one story."""
    shuffled = random.Random(seed).sample(VOCABULARY, len(VOCABULARY))
    return " ".join(shuffled[:20]) + "."


def outlet_feed(number: int, stories: int) -> bytes:
    """Feed ``number`` with ``stories`` long items; every fifth of feed 1 mentions a harbour."""
    items = "".join(
        f"<item><title>{escape(title)}</title>"
        f"<link>https://outlet-{number}.example/{story}</link><guid>o{number}-{story}</guid>"
        f"<description>{escape(title)}. {words(number * 100 + story)}</description></item>"
        for story in range(1, stories + 1)
        for title in [
            f"Outlet {number} story {story}: "
            + ("harbour cranes arrive" if number == 1 and story % 5 == 0 else "council budget")
            + f" near the {words(number * 1000 + story)}"
        ]
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel>"
        f"<title>Outlet {number} regional newsroom with a long name</title>"
        f"<link>https://outlet-{number}.example/</link>{items}</channel></rss>"
    ).encode()


async def pages_of(sandbox: Sandbox, first: RecordedMessage) -> list[str]:
    """Press Next under ``first`` until it is disabled; return every page's text."""
    texts = [first.content]
    components = first.components
    while components and not components[0]["components"][1].get("disabled"):
        turned = await sandbox.click(
            first.id, components[0]["components"][1]["custom_id"], user="admin"
        )
        texts.append(turned.messages[-1].content)
        components = turned.messages[-1].components
    return texts


async def test_long_lists_page_with_buttons_and_one_subscription_can_be_asked_for(
    sandbox: Sandbox, start_bot: BotStarter
) -> None:
    routes = {f"/feed-{n}.xml": Route(200, RSS, outlet_feed(n, 0)) for n in range(1, FEEDS + 1)}
    async with serve_routes(routes) as server, start_bot() as bot:
        outlines = "".join(
            f"<outline type='rss' text='Outlet {n}' xmlUrl='{server.url(f'/feed-{n}.xml')}'/>"
            for n in range(1, FEEDS + 1)
        )
        opml = f"<opml version='2.0'><body>{outlines}</body></opml>".encode()
        imported = await sandbox.run_command(
            "/feed import channel:#news", files={"file": ("feeds.opml", opml)}
        )
        # The answer comes with the first progress message; the report once the import ends.
        assert await bot.commands_finished(60)
        report = last_edit(sandbox, imported.messages[-1].id)
        assert f"{FEEDS} added" in report.content, imported
        # Imported a few at a time, so numbered in no set order: find feed 1's number.
        (harbour,) = [
            summary.subscription.id
            for summary in await bot.services.subscriptions.list_subscriptions(
                sandbox.world.guild_id
            )
            if summary.feed_url.endswith("/feed-1.xml")
        ]
        # Only feed 1's harbour stories are posted: the test is about replies, not a backlog
        # (the other feeds gain no item: 19 more posts cost 20 s of #news's 5-per-5-s limit).
        await sandbox.run_command(
            f"/filter add target:subscription number:{harbour} action:include match:word "
            "pattern:harbour"
        )
        server.set_body("/feed-1.xml", outlet_feed(1, 40))
        await poll_and_deliver(bot, wait_seconds=60)
        assert len(sandbox.posts("news")) == 8
        for number in range(1, 31):
            await sandbox.run_command(
                f'/follow add topic:"topic{number:02d} regional council budget vote" channel:#world'
            )

        status = await pages_of(sandbox, (await sandbox.run_command("/feed status")).messages[-1])
        one = await sandbox.run_command("/feed status subscription:3")
        listed = await pages_of(sandbox, (await sandbox.run_command("/feed list")).messages[-1])
        one_listed = await sandbox.run_command("/feed list subscription:12")
        follows = await pages_of(sandbox, (await sandbox.run_command("/follow list")).messages[-1])
        tested = await pages_of(
            sandbox,
            (await sandbox.run_command(f"/filter test target:subscription number:{harbour}"))
            .messages[-1],
        )
        digest = await pages_of(sandbox, (await sandbox.run_command("/digest now")).messages[-1])

    def numbers(pattern: str, pages: list[str]) -> list[str]:
        return [found for page in pages for found in re.findall(pattern, page)]

    for pages in (status, listed, follows, tested, digest):
        assert len(pages) >= 2, pages
        assert all(len(page) <= 2000 and "more." not in page for page in pages)
        assert pages[-1].endswith(f"*Page {len(pages)} of {len(pages)}*")
    every_feed = list(range(1, FEEDS + 1))
    assert sorted(map(int, numbers(r"`#(\d+)` \*\*Outlet", status))) == every_feed
    assert sorted(map(int, numbers(r"`#(\d+)` \*\*Outlet", listed))) == every_feed
    assert numbers(r"\*\*topic(\d+) regional", follows) == [f"{n:02d}" for n in range(1, 31)]
    marks = [line[0] for page in tested for line in page.splitlines() if line[:1] in "✅❌"]
    assert marks == ["✅"] * 8 + ["❌"] * 32
    assert len(numbers(r"\*\*(\d+)\.\*\*", digest)) == 8
    (single,) = one.messages
    assert single.components == [] and single.content.count("`#") == 1
    assert single.content.startswith("`#3` **Outlet ")  # imported concurrently: any outlet
    assert one_listed.messages[-1].content.startswith("This server follows 1 feed:")
    assert "`#12`" in one_listed.messages[-1].content
