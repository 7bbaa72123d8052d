"""Every feed of the shared corpora goes through the real poller without an exception escaping.

The files are served over HTTP from 127.0.0.1 (real-feeds as their gzip bytes, with
``Content-Encoding: gzip``), subscribed, changed, and polled: a feed may fail with a clear
sentence (an item-less CDF channel, an empty document), but the poller never crashes on one,
and well-formed feeds yield articles.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.app.services import Services
from bot.core.models import FeedSnapshot
from storage import Repositories
from tests.fixtures import SHARED
from tests.fixtures.http_servers import serve_routes

SHARED_DATA = SHARED / "data"
REAL_FEEDS_SAMPLE_EVERY = 4  # a quarter of the 200 real feeds keeps this test ~10 s


def corpus_files() -> list[Path]:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    small = sorted(
        path for path in (SHARED_DATA / "feedparser-tests").rglob("*")
        if path.is_file() and path.suffix in {".xml", ".rdf", ".json", ".atom", ".rss"}
    )
    real = sorted((SHARED_DATA / "real-feeds" / "feeds").glob("*.gz"))
    return small + real[::REAL_FEEDS_SAMPLE_EVERY]


async def test_every_corpus_feed_goes_through_the_poller(
    services: Services, repositories: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    files = corpus_files()
    by_path = {f"/corpus/{index}": path for index, path in enumerate(files)}

    async def serve(request: web.Request) -> web.StreamResponse:
        path = by_path[request.path]
        body = path.read_bytes()
        headers = {"Content-Type": "application/xml"}
        if path.suffix == ".gz":
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)

    now = datetime.now(tz=UTC)
    async with serve_routes({route: serve for route in by_path}) as server:
        for route in by_path:
            await repositories.subscriptions.subscribe(
                1, 2, FeedSnapshot(
                    url=server.url(route), title="", site_url=None, etag=None,
                    last_modified=None, body_sha256="", interval_seconds=600,
                    next_check_at=now + timedelta(hours=1), entries=[],
                ),
                created_by=3, now=now, max_feeds=10_000,
            )
        with caplog.at_level(logging.WARNING, logger="bot.pipeline.poll.poller"):
            report = await services.poller.poll_all()

    crashed = [record for record in caplog.records if "crashed" in record.getMessage()]
    assert crashed == []
    assert report.feeds_checked == len(files)
    # A few corpus documents are not feeds at all (item-less CDF, empty); almost all are.
    assert report.feeds_failed <= len(files) // 50
    assert len(report.outbox_ids) > len(files)
