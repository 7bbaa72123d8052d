"""/search, /quotes and /trend end to end."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import pytest
from PIL import Image

from bot.core.errors import NotFound
from bot.features.search.trends import TrendSeries
from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import Route, RouteServer


def wire(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example/{key}</link>"
        f"<guid>{key}</guid><description>{escape(text)}</description></item>"
        for key, title, text in items
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


STORIES = [
    (f"solar-{n}", f"Solar update {n}", f"The floating solar farm reached stage {n}. Engineers "
     "said the pontoons held.") for n in range(1, 8)
] + [
    ("minister", "Minister speaks", '“We will not raise taxes this year,” said Finance Minister '
     "Alma Berg, speaking to reporters."),
    ("bridge", "Bridge news", "A new cycling bridge opened over the river."),
    ("pier", "Lights on the pier", "Solar lamps were fitted to the old floating pier."),
]


@on_both_engines
async def test_search_finds_a_phrase_with_snippets_and_pages(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, wire([]))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, wire(STORIES))
        await poll_and_deliver(bot)
        found = await sandbox.run_command(
            '/search query:"\\"floating solar\\""', user="member"
        )
        words = await sandbox.run_command('/search query:"floating solar"', user="member")
        first_page = found.messages[-1]
        next_button = first_page.components[0]["components"][1]
        turned = await sandbox.click(first_page.id, next_button["custom_id"], user="member")
        nothing = await sandbox.run_command("/search query:volcano", user="member")
        hostile = await sandbox.run_command('/search query:"NEAR( OR * -"', user="member")

    text = first_page.content
    assert '**7** articles match **"floating solar"** (page 1 of 2):' in text
    assert "**8** articles match **floating solar** (page 1 of 2):" in words.messages[-1].content
    assert "**floating** **solar**" in text or "**floating solar**" in text
    assert turned.messages[-1].content.count("[Solar update") == 2
    assert "(page 2 of 2)" in turned.messages[-1].content
    assert nothing.messages[-1].content == (
        "Nothing in this server's feeds matches **volcano**."
    )
    assert hostile.messages[-1].content.startswith("Nothing in this server's feeds matches")


@on_both_engines
async def test_quotes_by_a_person_and_a_trend_chart(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, wire([]))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, wire(STORIES))
        await poll_and_deliver(bot)
        quotes = await sandbox.run_command('/quotes who:"Alma Berg"', user="member")
        chart = await sandbox.run_command('/trend term:"solar, bridge"', user="member")
        nothing = await sandbox.run_command("/trend term:volcano", user="member")

    assert quotes.refused is None and not quotes.timed_out, quotes
    assert "Recent quotes by **Alma Berg**:" in quotes.messages[-1].content
    assert "We will not raise taxes this year" in quotes.messages[-1].content
    message = chart.messages[-1]
    assert message.content == "Mentions in the last 30 days — solar: 8, bridge: 1"
    assert not message.ephemeral
    ((name, png),) = message.attachments
    assert name == "trend.png"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (900, 450)
    colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # lines, labels and legend, not a blank
    # Drawn for Discord's dark theme: the background is dark, not white.
    background = image.convert("RGB").getpixel((2, 2))
    assert isinstance(background, tuple) and sum(background) < 3 * 80, background
    # A term nobody mentioned gets a sentence, privately, not an empty chart.
    (said,) = [message for message in nothing.messages if message.content]
    assert said.content == (
        "No article in this server's feeds mentions **volcano** in the last 30 days, so there "
        "is nothing to chart."
    )
    assert said.ephemeral and not said.attachments


LONG_STORIES = [
    (
        f"{'long-address-of-a-regional-newsroom/' * 4}harbour-{n}",
        f"Harbour works, part {n}: the council's long account of the new quay walls and cranes",
        f"The harbour works reached part {n} this week. " + "Engineers checked every pile of "
        "the quay wall, the cranes and the drainage, and the council published the figures. " * 4,
    )
    for n in range(1, 13)
]


async def test_every_search_page_shows_five_results_and_one_page_shows_no_buttons(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, wire([]))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, wire([*LONG_STORIES, *STORIES]))
        await poll_and_deliver(bot)
        first = (await sandbox.run_command("/search query:harbour", user="member")).messages[-1]
        next_button = first.components[0]["components"][1]
        second = await sandbox.click(first.id, next_button["custom_id"], user="member")
        third = await sandbox.click(first.id, next_button["custom_id"], user="member")
        single = await sandbox.run_command("/search query:bridge", user="member")
        empty = await sandbox.run_command("/search query:volcano", user="member")

    def parts(text: str) -> set[str]:
        return set(re.findall(r"Harbour works, part (\d+)", text))

    assert "(page 1 of 3)" in first.content and "more." not in first.content
    assert len(first.content) <= 2000
    shown = [parts(first.content), parts(second.messages[-1].content),
             parts(third.messages[-1].content)]
    assert [len(page) for page in shown] == [5, 5, 2]
    assert set().union(*shown) == {str(n) for n in range(1, 13)}
    assert single.messages[-1].content.startswith("**1** article matches **bridge**")
    assert single.messages[-1].components == []
    assert empty.messages[-1].components == []


async def test_an_error_after_trend_started_stays_private(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def database_gone(guild_id: int, terms: Sequence[str]) -> list[TrendSeries]:
        raise NotFound("The articles of this server could not be read just now.")

    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        monkeypatch.setattr(bot.services.trends, "daily_mentions", database_gone)
        failed = await sandbox.run_command("/trend term:solar", user="member")
        monkeypatch.undo()
        # A term the feed's items mention: with none, /trend answers privately, no chart.
        charted = await sandbox.run_command("/trend term:council", user="member")

    assert [m.content for m in failed.messages if not m.ephemeral] == []
    assert failed.messages[-1].content == "The articles of this server could not be read just now."
    chart = charted.messages[-1]
    assert not chart.ephemeral and chart.attachments, "the chart itself is for everyone"


def dated_wire(title: str, items: list[tuple[str, str, timedelta]]) -> bytes:
    """A feed titled ``title`` whose items (key, title, age) were published ``age`` ago."""
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>{escape(headline)}</title><link>https://news.example/{key}</link>"
        f"<guid>{key}</guid><description>{escape(headline)}.</description>"
        f"<pubDate>{(now - age).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for key, headline, age in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{escape(title)}</title>"
        f"<link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


async def test_a_filtered_search_with_no_result_says_what_its_filters_left_out(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, dated_wire("Al Jazeera", []))
    feed_server.routes["/other.xml"] = Route(
        200, {"Content-Type": "application/rss+xml"}, dated_wire("Other Wire", [])
    )
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await sandbox.run_command(f"/feed add url:{feed_server.url('/other.xml')} channel:#news")
        feed_server.set_body(FEED_PATH, dated_wire("Al Jazeera", [
            (f"old-{n}", f"Harbour strike day {n}", timedelta(days=5 + n)) for n in range(7)
        ]))
        feed_server.set_body("/other.xml", dated_wire("Other Wire", [
            ("fresh", "Harbour strike ends", timedelta(hours=2))
        ]))
        await poll_and_deliver(bot)
        both = await sandbox.run_command(
            "/search query:harbour subscription:1 days:1", user="member"
        )
        older = await sandbox.run_command("/search query:strike days:1 subscription:1",
                                          user="member")
        nowhere = await sandbox.run_command("/search query:volcano days:1", user="member")

    assert both.messages[-1].content == (
        "No match for **harbour** in **Al Jazeera** in the last day (7 older matches; 1 match "
        "in the server's other feeds: widen the search to see them)."
    )
    assert older.messages[-1].content.startswith(
        "No match for **strike** in **Al Jazeera** in the last day (7 older matches;"
    )
    assert nowhere.messages[-1].content == (
        "No match for **volcano** in the last day, and none outside these filters either."
    )
