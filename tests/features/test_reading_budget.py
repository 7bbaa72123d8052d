"""``/summarize`` reads pages like the reader does: in a worker process, the first 300 KB,
within the deadline (issue 13, finding 5).

Before, a 1–3 MB page of short quotations was read whole in a thread of the bot's own
process, which could not be stopped: six such calls held every other server's commands.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app.services import Services
from bot.core.errors import PageNotRead
from bot.features.articles import ReadingService
from bot.pipeline.read import page_reading
from bot.pipeline.read.page_reading import MAX_PAGE_BYTES, READING_MODULES, read_page
from bot.pipeline.worker_pool import WorkerPool
from storage import Repositories
from tests.fixtures.http_servers import Route, serve_routes
from tests.fixtures.slow_reading import read_page_forever_when_marked

HTML = {"Content-Type": "text/html; charset=utf-8"}


def quotations_page(size: int) -> bytes:
    """An article of ``size`` bytes made of short quotations, each a paragraph."""
    paragraphs: list[str] = []
    total = 0
    number = 0
    while total < size:
        paragraph = (
            f"<p>“We will build bridge {number},” said Ann Lee. “Not in year {number},” "
            "said Bo Chan.</p>\n"
        )
        paragraphs.append(paragraph)
        total += len(paragraph.encode())
        number += 1
    return (
        "<html><head><title>Quotes of the year</title></head><body><article>"
        f"<h1>Quotes of the year</h1>{''.join(paragraphs)}</article></body></html>"
    ).encode()


@pytest.fixture
async def quick_pool() -> AsyncIterator[WorkerPool]:
    pool = WorkerPool(1, 3.0, preload=READING_MODULES)
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_3_mb_page_of_quotations_is_cut_to_300_kb_and_read_in_a_worker(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = quotations_page(3_000_000)
    jobs: list[tuple[object, tuple[object, ...]]] = []
    run = WorkerPool.run

    async def recording_run(
        self: WorkerPool, function: object, *args: object, deadline_seconds: float | None = None
    ) -> object:
        jobs.append((function, args))
        return await run(self, function, *args, deadline_seconds=deadline_seconds)  # type: ignore[arg-type]

    monkeypatch.setattr(WorkerPool, "run", recording_run)
    async with serve_routes({"/quotes.html": Route(200, HTML, page)}) as server:
        reply = await services.reading.summarize(
            server.url("/quotes.html"), guild_id=1, member_id=2
        )

    [(function, args)] = jobs
    assert function is read_page  # the whole reading, in a worker process
    assert args[0] == page[:MAX_PAGE_BYTES] and len(page) > 10 * MAX_PAGE_BYTES
    assert services.reading_pool.started_pids  # a worker, not this process, did it
    assert "Quotes of the year" in reply and "Ann Lee" in reply


async def test_a_page_not_read_within_the_deadline_is_refused_and_the_next_one_is_read(
    repositories: Repositories, services: Services, quick_pool: WorkerPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(page_reading, "read_page", read_page_forever_when_marked)
    reading = ReadingService(repositories, services.fetcher, services.clock, quick_pool)
    slow = b"<html><body><article><h1>Slow</h1><p>TAKES-FOREVER</p></article></body></html>"
    quick = quotations_page(2_000)
    async with serve_routes(
        {"/slow.html": Route(200, HTML, slow), "/quick.html": Route(200, HTML, quick)}
    ) as server:
        with pytest.raises(PageNotRead) as refused:
            await reading.summarize(server.url("/slow.html"), guild_id=1, member_id=2)
        after_refusal = list(quick_pool.started_pids)
        reply = await reading.summarize(server.url("/quick.html"), guild_id=1, member_id=2)

    assert refused.value.message.startswith("Newsdesk took longer than 3 s to read that page")
    assert after_refusal == []  # the worker that took too long was killed, not kept
    assert "Quotes of the year" in reply
    assert len(quick_pool.started_pids) == 1  # a fresh worker read the next page
