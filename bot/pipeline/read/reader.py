"""Reading new articles: the clean page behind each entry, handed to the story desk.

Rules:
- Every stored article is read once, oldest first, a few at a time. Articles that wait to
  be posted somewhere get their page fetched (through the same polite fetcher) and
  extracted; the others (entries seeded at subscription time) are read from the feed's own
  text, which is enough to recognise later copies of them.
- Pages are read in the worker pool (``page_reading``): the first 300 KB of each, within the
  pool's deadline. A page that cannot be fetched, or is not read in time, falls back to the
  feed's text, so a page never holds a post for longer than one fetch and one deadline.
- In one process (role ``all``) each reading goes straight to the story desk
  (``bot.pipeline.story.desk``), which decides it at once. Past one process (role
  ``reader``, any number of them) a reader claims its articles for a while (``ReadingLease``:
  no two readers read one article at once, and one killed in the middle leaves its articles
  to another once the lease has passed) and stores the reading for the desk, with one
  ``on_read`` call per batch that stored any.
- A poison article never stops its channels or the reader (``bot.pipeline.read.attempts``):
  each attempt to read an article is counted (in the database, as it begins) and one that
  fails is tried again in a later round; after ``MAX_READ_ATTEMPTS`` the article is given
  up, its waiting posts failed with the reason (``/feed why`` shows it), and its channels
  move on. An attempt that never finished (the process died in the middle) counts as
  failed, so this holds across restarts; one that a shutdown cut short is given back
  (``give_back_unfinished``), with the claims not begun yet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import UserError
from bot.core.models import ArticleReading, UnreadArticle
from bot.features.feeds.discovery import looks_like_html
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.read.attempts import (
    MAX_READ_ATTEMPTS,
    STOPPED_WHILE_READING,
    failure_reason,
    give_up_reason,
)
from bot.pipeline.read.extraction import ExtractedArticle, FeedFallback
from bot.pipeline.read.page_reading import PageReading, read_page_in_pool
from bot.pipeline.story.copies import Fingerprint, comparable, fingerprint, normalise_url
from bot.pipeline.story.desk import StoryDesk
from bot.pipeline.timings import PipelineTimings, WakeLoop
from bot.pipeline.worker_pool import WorkerPool
from storage import Repositories

log = logging.getLogger(__name__)

READ_BATCH = 16
CONCURRENT_READS = 4


@dataclass(frozen=True)
class ReadingLease:
    """How a reader among many claims its articles: the name on its claims, and how long a
    claim lasts (longer than one fetch and one reading deadline, with room to spare)."""

    holder: str
    seconds: float


def reading_from(
    unread: UnreadArticle, extracted: ExtractedArticle, fp: Fingerprint
) -> ArticleReading:
    """Combine what the feed said with what the page said into what is stored."""
    article = unread.article
    original_key = normalise_url(extracted.original_url) if extracted.original_url else None
    return ArticleReading(
        title=article.title if article.title != "(untitled)" else (extracted.title or ""),
        summary=extracted.summary or article.summary,
        author=extracted.author or article.author,
        published_at=extracted.published or article.published_at,
        image_url=extracted.image or article.image_url,
        original_url=extracted.original_url,
        original_url_key=original_key,
        original_publisher=extracted.original_publisher,
        fingerprint=fp.to_bytes() if comparable(fp) else None,
        details=extracted.details,
        text=extracted.text,
    )


class ArticleReader:
    """Reads unread articles: hands each reading to the desk in this process, or stores it
    for the desk under a lease (exactly one of ``desk`` and ``lease``)."""

    def __init__(
        self,
        repositories: Repositories,
        fetcher: Fetcher,
        clock: Callable[[], datetime],
        *,
        pool: WorkerPool,
        timings: PipelineTimings,
        desk: StoryDesk | None = None,
        lease: ReadingLease | None = None,
        on_ready_to_post: Callable[[], None] = lambda: None,
        on_read: Callable[[], None] = lambda: None,
    ) -> None:
        if (desk is None) == (lease is None):
            raise ValueError("a reader hands its readings to a desk here, or stores them leased")
        self._repos = repositories
        self._fetcher = fetcher
        self._pool = pool
        self._clock = clock
        self._desk = desk
        self._lease = lease
        self._retry_seconds = timings.idle_wake_seconds
        self._on_ready_to_post = on_ready_to_post
        self._on_read = on_read
        self._in_flight: set[int] = set()
        # Articles whose reading failed this round: tried again in the next one, not at once.
        self._retry_later: set[int] = set()
        # Articles whose counted attempt has not ended (a shutdown may cut it short).
        self._unfinished: set[int] = set()
        # Articles claimed under the lease and not finished (a shutdown gives them back).
        self._claimed: set[int] = set()
        self._wake_loop = WakeLoop("reading", self._read_round, timings.idle_wake_seconds)
        self.stored = 0

    def wake(self) -> None:
        """Ask the running reader to look for unread articles now."""
        self._wake_loop.wake()

    async def run_forever(self) -> None:
        """Read whenever woken (or every few seconds) until cancelled; never dies of a bug."""
        if self._desk is not None:
            await self._desk.load_index()
        await self._wake_loop.run_forever()

    async def _read_round(self) -> None:
        self._retry_later.clear()
        read = 0
        while batch := await self.read_unread():
            read += batch
        if self._desk is not None:
            self._desk.forget_old()
            if read:
                # Readings that released no post still change the outbox: posts filtered
                # out, sent posts whose story gained a source and wait for an edit.
                self._on_ready_to_post()

    async def read_unread(self) -> int:
        """Read one batch of unread articles; return how many were read."""
        if self._lease is None:
            batch = await self._repos.stories.unread(
                READ_BATCH, exclude=sorted(self._in_flight | self._retry_later)
            )
        else:
            # Claimed a slot's worth at a time: every claim begins at once, so the lease
            # covers one fetch and one reading, not a queue.
            batch = await self._repos.stories.claim_unread(
                CONCURRENT_READS, self._lease.holder, self._lease.seconds
            )
            self._claimed.update(unread.article.id for unread in batch)
        limit = asyncio.Semaphore(CONCURRENT_READS)
        stored_before = self.stored

        async def read(unread: UnreadArticle) -> None:
            async with limit:
                await self.read_one(unread)

        await asyncio.gather(*(read(unread) for unread in batch))
        if self.stored > stored_before:
            self._on_read()
        return len(batch)

    async def read_one(self, unread: UnreadArticle) -> None:
        """Read one article and hand its reading on (to the desk, or stored for it); give it
        up after ``MAX_READ_ATTEMPTS`` failed attempts. Never raises for the article's sake."""
        article = unread.article
        self._in_flight.add(article.id)
        try:
            if unread.read_attempts >= MAX_READ_ATTEMPTS:
                # Its last attempt never finished: the process stopped while reading it.
                await self._give_up(unread, unread.read_failure or STOPPED_WHILE_READING)
                return
            attempts = await self._repos.stories.begin_reading(article.id)
            # Until this attempt ends: a shutdown gives it back (``give_back_unfinished``).
            self._unfinished.add(article.id)
            try:
                await self._read(unread)
            except Exception as error:
                reason = failure_reason(error)
                log.exception(
                    "reading failed article_id=%s url=%s attempt=%d",
                    article.id, article.url, attempts,
                )
                if attempts >= MAX_READ_ATTEMPTS:
                    await self._give_up(unread, reason)
                elif self._lease is None:
                    await self._repos.stories.record_read_failure(article.id, reason)
                    self._retry_later.add(article.id)
                else:
                    # Not claimable again until a later round, by this reader or another.
                    await self._repos.stories.record_read_failure(
                        article.id, reason, holder=self._lease.holder,
                        retry_seconds=self._retry_seconds,
                    )
            self._unfinished.discard(article.id)
        finally:
            self._in_flight.discard(article.id)
            self._claimed.discard(article.id)

    async def give_back_unfinished(self) -> int:
        """Uncount the attempts a shutdown cut short (call once the reader has stopped, before
        the database closes): the shutdown stopped them, not their articles. Claims not
        begun are released. A process killed outright never gets here: its attempts count,
        and its claims pass to other readers when their lease ends. Returns how many
        attempts were given back."""
        unfinished = sorted(self._unfinished)
        self._unfinished.clear()
        holder = self._lease.holder if self._lease is not None else None
        for article_id in unfinished:
            await self._repos.stories.give_back_reading(article_id, holder)
        if holder is not None:
            await self._repos.stories.release_claims(
                sorted(self._claimed - set(unfinished)), holder
            )
        self._claimed.clear()
        return len(unfinished)

    async def _give_up(self, unread: UnreadArticle, last_failure: str) -> None:
        reason = give_up_reason(last_failure)
        failed = await self._repos.stories.give_up_reading(unread.article.id, reason, self._clock())
        log.warning(
            "article given up article_id=%s url=%s posts_failed=%d reason=%s",
            unread.article.id, unread.article.url, failed, reason,
        )
        if failed:
            self._on_ready_to_post()  # the channels' later posts are free to go

    async def _read(self, unread: UnreadArticle) -> None:
        article = unread.article
        page = await self._read_page(unread)
        fp = page.fingerprint if page.fingerprint is not None else fingerprint("")
        reading = reading_from(unread, page.article, fp)
        if self._desk is not None:
            # Pages are fetched and read in parallel, but the desk decides stories one
            # article at a time.
            if await self._desk.decide(unread, reading, fingerprint=fp):
                self._on_ready_to_post()
            return
        assert self._lease is not None
        if await self._repos.stories.store_reading(
            article.id, reading, self._lease.holder, self._clock()
        ):
            self.stored += 1
        else:
            log.info("reading not stored: its claim passed to another reader article_id=%s",
                     article.id)

    async def _read_page(self, unread: UnreadArticle) -> PageReading:
        article = unread.article
        fallback = FeedFallback(
            title=article.title, text=article.summary, author=article.author,
            published=article.published_at, image=article.image_url,
        )
        page = b""
        page_url = article.url
        if unread.has_waiting_posts and article.url:
            try:
                result = await self._fetcher.fetch(article.url)
                if looks_like_html(result.body, result.content_type):
                    page, page_url = result.body, result.url
            except UserError as error:
                log.info("article page unreadable article_id=%s url=%s error=%s",
                         article.id, article.url, error.message)
        try:
            return await read_page_in_pool(
                self._pool, page, url=page_url, fallback=fallback, with_fingerprint=True
            )
        except UserError as error:
            log.info("article page not read article_id=%s url=%s error=%s",
                     article.id, article.url, error.message)
        except Exception:
            log.exception("extraction crashed article_id=%s url=%s", article.id, article.url)
        return await read_page_in_pool(
            self._pool, b"", url=page_url, fallback=fallback, with_fingerprint=True
        )
