"""The sandbox's local sites: the demo newswire and the ``--serve DIR`` static file server.

Both are fetched through the real ``Fetcher`` and parsed with the real parser.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.pipeline.fetch.fetcher import Fetcher, FetchSettings
from bot.pipeline.parse import parse_feed
from bot.sandbox.newswire import FEED_TITLE, DemoNewswire, load_stories
from bot.sandbox.static_files import StaticFileServer
from tests.fixtures import FIXTURES

FIXTURE_FEEDS = FIXTURES / "feeds"


class ManualClock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    settings = FetchSettings(allow_private_addresses=True, timeout_seconds=5)
    session = Fetcher.create_session(settings)
    try:
        yield Fetcher(session, settings)
    finally:
        await session.close()


# --- the demo newswire ----------------------------------------------------------------------


def test_story_pool_is_about_twenty_complete_stories() -> None:
    stories = load_stories()
    assert 18 <= len(stories) <= 30
    assert len({s.title for s in stories}) == len(stories)
    for story in stories:
        assert story.title and story.author and story.category
        assert 2 <= story.body.count(". ") + 1 <= 4


async def test_newswire_starts_with_three_items_and_gains_one_per_interval(
    fetcher: Fetcher,
) -> None:
    clock = ManualClock()
    async with DemoNewswire(interval_seconds=8.0, clock=clock) as wire:
        first = await fetcher.fetch(wire.feed_url)
        feed = parse_feed(first.body, url=first.url, content_type=first.content_type)
        assert feed.title == FEED_TITLE
        assert [e.guid for e in feed.entries] == [
            "newsdesk-demo-3",
            "newsdesk-demo-2",
            "newsdesk-demo-1",
        ]
        assert all(e.published and e.published < clock.now for e in feed.entries)

        clock.advance(7.9)
        unchanged = await fetcher.fetch(wire.feed_url, etag=first.etag)
        assert unchanged.status == 304

        clock.advance(0.1)
        changed = await fetcher.fetch(wire.feed_url, etag=first.etag)
        assert changed.status == 200
        newest = parse_feed(changed.body, url=changed.url).entries[0]
        assert newest.guid == "newsdesk-demo-4"
        assert newest.published == clock.now  # pubDate is the moment it was published
        assert newest.link is not None and newest.link.startswith(wire.base_url + "/articles/")

        clock.advance(8 * 3)
        later = parse_feed((await fetcher.fetch(wire.feed_url)).body, url=wire.feed_url)
        assert len(later.entries) == 7
        dates = [e.published for e in later.entries]
        assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]


async def test_article_page_has_meta_tags(fetcher: Fetcher) -> None:
    async with DemoNewswire(interval_seconds=None) as wire:
        item = wire.items[0]
        page = (await fetcher.fetch(wire.article_url(item))).body.decode()
        missing = await fetcher.fetch(wire.feed_url)  # the feed still answers
        assert missing.status == 200
    assert f"<meta property='og:title' content='{item.title}'>" in page.replace("&#x27;", "'")
    assert f"content='{item.published_at.isoformat()}'" in page
    assert re.search(r"<meta name='author' content='[^']+'>", page)


async def test_each_story_is_published_once_then_the_wire_stops(fetcher: Fetcher) -> None:
    # Reposting a story under a new title made the bot see a copy of the first post (and
    # edit it for nothing); the wire now runs out instead.
    clock = ManualClock()
    pool = len(load_stories())
    async with DemoNewswire(interval_seconds=8.0, clock=clock) as wire:
        clock.advance(8 * pool * 2)
        feed = parse_feed((await fetcher.fetch(wire.feed_url)).body, url=wire.feed_url)
        items = wire.items
        assert wire.exhausted
        with pytest.raises(RuntimeError, match=f"published all its {pool} stories"):
            wire.publish_next()
    assert len(items) == pool
    assert len({item.guid for item in items}) == pool
    assert len({item.title for item in items}) == pool
    assert len({item.story.body for item in items}) == pool
    assert len(feed.entries) == 20
    assert all("follow-up" not in (entry.title or "") for entry in feed.entries)


# --- the static file server -----------------------------------------------------------------


async def test_static_files_serve_with_validators_and_reread(
    tmp_path: Path, fetcher: Fetcher
) -> None:
    feed_file = tmp_path / "feed.xml"
    feed_file.write_bytes((FIXTURE_FEEDS / "rss10.rdf").read_bytes())
    (tmp_path / "feed.json").write_bytes((FIXTURE_FEEDS / "jsonfeed_11.json").read_bytes())
    (tmp_path / "notes.atom").write_bytes((FIXTURE_FEEDS / "atom_xml_base.atom").read_bytes())
    async with StaticFileServer(tmp_path) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        first = await fetcher.fetch(server.url("feed.xml"))
        assert first.content_type == "application/rss+xml"
        assert first.etag and first.last_modified
        assert (await fetcher.fetch(server.url("feed.xml"), etag=first.etag)).status == 304
        by_date = await fetcher.fetch(server.url("feed.xml"), last_modified=first.last_modified)
        assert by_date.status == 304

        feed_file.write_bytes((FIXTURE_FEEDS / "media_images.xml").read_bytes())
        os.utime(feed_file, (1_900_000_000, 1_900_000_000))
        rewritten = await fetcher.fetch(server.url("feed.xml"), etag=first.etag)
        assert rewritten.status == 200
        assert parse_feed(rewritten.body, url=rewritten.url).title == "Images"

        json_feed = await fetcher.fetch(server.url("feed.json"))
        assert json_feed.content_type == "application/feed+json"
        assert (await fetcher.fetch(server.url("notes.atom"))).content_type == (
            "application/atom+xml"
        )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/sub/",
        "/sub",
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/missing.xml",
    ],
)
async def test_static_files_refuse_listings_and_escapes(tmp_path: Path, path: str) -> None:
    (tmp_path / "secret.txt").write_text("outside")
    served = tmp_path / "served"
    (served / "sub").mkdir(parents=True)
    (served / "sub" / "feed.xml").write_text("<rss/>")
    async with StaticFileServer(served) as server, aiohttp.ClientSession() as session:
        async with session.get(server.base_url + path) as response:
            assert response.status == 404
        async with session.get(server.url("sub/feed.xml")) as response:
            assert response.status == 200
