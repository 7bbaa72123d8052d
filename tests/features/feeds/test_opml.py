"""OPML: reading safely, writing, and importing through the real subscription service."""

from __future__ import annotations

import pytest

from bot.app.services import Services
from bot.core.errors import InvalidInput
from bot.features.feeds.opml import OpmlFeed, read_opml, write_opml
from bot.features.feeds.opml_import import import_opml
from tests.e2e.conftest import rss
from tests.fixtures.http_servers import Route, serve_routes

GUILD, CHANNEL, ADMIN = 10, 20, 30

NESTED = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="World">
    <outline type="rss" text="Wire" xmlUrl="https://wire.example/rss"/>
    <outline text="Asia"><outline text="Desk" xmlUrl="https://asia.example/feed"/></outline>
  </outline>
  <outline type="rss" title="Loose" xmlUrl="https://loose.example/atom.xml"/>
  <outline type="rss" title="Again" xmlUrl="https://wire.example/rss"/>
</body></opml>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<opml version="2.0"><body><outline text="&lol3;" xmlUrl="https://x.example/"/></body></opml>"""


def test_nested_outlines_are_read_with_their_category_and_each_url_once() -> None:
    assert read_opml(NESTED) == [
        OpmlFeed("https://wire.example/rss", "Wire", "World"),
        OpmlFeed("https://asia.example/feed", "Desk", "Asia"),
        OpmlFeed("https://loose.example/atom.xml", "Loose", None),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "XML features Newsdesk refuses"),
        (b"<opml><body><outline", "not readable OPML"),
        (b"<rss version='2.0'><channel/></rss>", "not OPML"),
        (b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_unusable_files_get_a_clear_sentence(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_opml(data)


def test_written_opml_reads_back_the_same_feeds() -> None:
    feeds = [
        OpmlFeed("https://b.example/feed", "B & Co", "#news"),
        OpmlFeed("https://a.example/feed", "A <news>", "#news"),
        OpmlFeed("https://c.example/feed", None, "#tech"),
    ]
    document = write_opml("Server feeds", feeds)
    assert sorted(read_opml(document), key=lambda f: f.url) == sorted(
        [OpmlFeed(f.url, f.title or f.url, f.category) for f in feeds], key=lambda f: f.url
    )


async def test_import_reports_added_skipped_and_failed_per_url(services: Services) -> None:
    async with serve_routes({
        "/one.xml": Route(200, {"Content-Type": "application/rss+xml"}, rss(1, title="One")),
        "/two.xml": Route(200, {"Content-Type": "application/rss+xml"}, rss(2, title="Two")),
        "/gone.xml": (404, {}, b""),
    }) as server:
        await services.subscriptions.add(GUILD, CHANNEL, server.url("/two.xml"), added_by=ADMIN)
        outlines = "".join(
            f'<outline text="{name}" xmlUrl="{server.url(path)}"/>'
            for name, path in [("One", "/one.xml"), ("Two", "/two.xml"), ("Gone", "/gone.xml")]
        )
        document = f"<opml version='2.0'><body>{outlines}</body></opml>".encode()
        calls: list[tuple[int, int]] = []

        async def progress(done: int, total: int) -> None:
            calls.append((done, total))

        report = await import_opml(
            services.subscriptions, GUILD, CHANNEL, document, added_by=ADMIN, progress=progress
        )
    assert [(line.outcome, line.url) for line in report.lines] == [
        ("added", server.url("/one.xml")),
        ("skipped", server.url("/two.xml")),
        ("failed", server.url("/gone.xml")),
    ]
    assert report.lines[0].detail == "One"
    assert report.lines[1].detail == "already followed in that channel"
    assert "404" in report.lines[2].detail
    assert sorted(calls) == [(1, 3), (2, 3), (3, 3)]
    assert len(await services.subscriptions.list_subscriptions(GUILD)) == 2


def test_outlines_nested_thousands_deep_are_read() -> None:
    depth = 1_200  # recursion gave RecursionError from about here
    data = (
        b'<opml version="2.0"><body>' + b'<outline text="Deep">' * depth
        + b'<outline xmlUrl="https://a.example/deep.xml"/>' + b"</outline>" * depth
        + b'<outline xmlUrl="https://a.example/after.xml" title="After"/></body></opml>'
    )
    assert read_opml(data) == [
        OpmlFeed(url="https://a.example/deep.xml", title=None, category="Deep"),
        OpmlFeed(url="https://a.example/after.xml", title="After", category=None),
    ]


async def test_an_address_with_control_characters_is_refused_so_exports_stay_readable(
    services: Services,
) -> None:
    feed = Route(200, {"Content-Type": "application/rss+xml"}, rss(1, title="One"))
    async with serve_routes({"/one\x01.xml": feed, "/two.xml": feed}) as server:
        for hidden in ("\x01", "\x1b", "\u200b", "\u202e"):
            with pytest.raises(InvalidInput, match="invisible or control characters"):
                await services.subscriptions.add(
                    GUILD, CHANNEL, server.url(f"/one{hidden}.xml"), added_by=ADMIN
                )
        await services.subscriptions.add(GUILD, CHANNEL, server.url("/two.xml"), added_by=ADMIN)
    stored = await services.subscriptions.list_subscriptions(GUILD)
    exported = write_opml("Feeds", [OpmlFeed(s.feed_url, s.feed_title, None) for s in stored])
    assert [feed.url for feed in read_opml(exported)] == [server.url("/two.xml")]
