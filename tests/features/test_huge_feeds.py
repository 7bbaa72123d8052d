"""A feed listing tens of thousands of items: only its newest 500 are read, in a worker
process, and ``/feed add`` says so (issue 13, finding 7).

Before, a 30,000-item feed (2.5 MB) cost 70 s to add and 48 s per changed poll, parsed in a
thread of the bot's process, with loop stalls of up to 2 s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.app.services import Services
from bot.features.feeds.replies import describe_added_feed
from bot.pipeline.parse import DEFAULT_MAX_ITEMS, parse_feed
from bot.pipeline.worker_pool import WorkerPool
from storage import Repositories
from tests.fixtures.http_servers import Route, serve_routes

RSS = {"Content-Type": "application/rss+xml"}
START = datetime(2026, 1, 1, tzinfo=UTC)


def huge_rss(count: int, *, oldest_first: bool = False) -> bytes:
    """An RSS feed of ``count`` short items, item n published n minutes after START."""
    numbers = range(count) if oldest_first else range(count - 1, -1, -1)
    items = "".join(
        f"<item><title>Item {n}</title><link>https://huge.example/{n}</link><guid>g{n}</guid>"
        f"<pubDate>{format_datetime(START + timedelta(minutes=n))}</pubDate>"
        f"<description>Text {n}.</description></item>"
        for n in numbers
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Huge</title>"
        f"<link>https://huge.example/</link>{items}</channel></rss>"
    ).encode()


async def test_feed_add_reads_the_newest_500_of_30000_items_in_a_worker_and_says_so(
    services: Services, repositories: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    functions: list[str] = []
    run = WorkerPool.run

    async def recording_run(
        self: WorkerPool, function: object, *args: object, deadline_seconds: float | None = None
    ) -> object:
        functions.append(getattr(function, "__qualname__", ""))
        return await run(self, function, *args, deadline_seconds=deadline_seconds)  # type: ignore[arg-type]

    monkeypatch.setattr(WorkerPool, "run", recording_run)
    body = huge_rss(30_000)
    async with serve_routes({"/huge.xml": Route(200, RSS, body)}) as server:
        added = await services.subscriptions.add(1, 11, server.url("/huge.xml"), added_by=5)
        feed = await repositories.feeds.get(added.subscription.feed_id)
        assert feed is not None
        server.set_body("/huge.xml", huge_rss(30_001))
        created = await services.poller.poll_feed(feed)

    assert len(body) > 2_000_000
    assert functions == ["_parse_job", "_parse_job"]  # both parses in the worker pool
    assert (added.listed_items, added.entry_count) == (30_000, DEFAULT_MAX_ITEMS)
    assert added.latest is not None and added.latest.title == "Item 29999"
    reply = describe_added_feed(added)
    assert "This feed lists 30,000 items; Newsdesk reads the newest 500." in reply
    assert created is not None and len(created) == 1  # Item 30000, the one new item
    titles = {a.title for a, _ in await repositories.articles.latest_for_feed(feed.id, 1000)}
    assert len(titles) == DEFAULT_MAX_ITEMS + 1
    assert {"Item 30000", "Item 29999", "Item 29500"} <= titles
    assert "Item 29499" not in titles


def test_the_newest_items_are_kept_whatever_the_document_order() -> None:
    parsed = parse_feed(huge_rss(1_200, oldest_first=True), url="https://huge.example/feed",
                        max_items=500)
    titles = {entry.title for entry in parsed.entries}
    assert parsed.listed_items == 1_200 and parsed.was_cut
    assert titles == {f"Item {n}" for n in range(700, 1_200)}


def test_a_small_feed_is_read_whole() -> None:
    body = huge_rss(40)
    parsed = parse_feed(body, url="https://huge.example/feed", max_items=500)
    assert parsed == parse_feed(body, url="https://huge.example/feed")
    assert parsed.listed_items == 40 and not parsed.was_cut


def test_a_json_feed_is_cut_to_its_newest_items() -> None:
    items = [
        {"id": str(n), "title": f"Item {n}", "url": f"https://huge.example/{n}",
         "date_published": (START + timedelta(minutes=n)).isoformat()}
        for n in range(1_000)
    ]
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "Huge", "items": items}
    parsed = parse_feed(json.dumps(document).encode(), url="https://huge.example/feed.json",
                        max_items=500)
    assert parsed.listed_items == 1_000
    assert {entry.title for entry in parsed.entries} == {f"Item {n}" for n in range(500, 1_000)}
