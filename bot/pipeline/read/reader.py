"""Reading new articles: the clean page behind each entry, and the story it belongs to.

Rules:
- Every stored article is read once, oldest first, a few at a time. Articles that wait to
  be posted somewhere get their page fetched (through the same polite fetcher) and
  extracted; the others (entries seeded at subscription time) are read from the feed's own
  text, which is enough to recognise later copies of them.
- Pages are read in the worker pool (``page_reading``): the first 300 KB of each, within the
  pool's deadline. A page that cannot be fetched, or is not read in time, falls back to the
  feed's text, so a page never holds a post for longer than one fetch and one deadline.
- The story is, in order: the story of a recent article at the same address (URL, canonical
  URL, or the original it credits); else the story of the recent article it copies
  (containment of word 3-shingles, ``bot.pipeline.story.copies``, never of an article of
  the same feed and host, and without the text such sites repeat across their articles:
  ``bot.pipeline.story.copies.boilerplate``); else a new story. "Recent" is ``STORY_WINDOW``.
- A poison article never stops its channels or the reader: each attempt to read an article is
  counted (in the database, as it begins) and one that fails is tried again in a later round;
  after ``MAX_READ_ATTEMPTS`` the article is given up, its waiting posts failed with the
  reason (``/feed why`` shows it), and its channels move on. An attempt that never finished
  (the process died in the middle) counts as failed, so this holds across restarts; one that
  a shutdown cut short is given back (``give_back_unfinished``).
- The copy index lives in memory and is rebuilt at start-up from the fingerprints stored
  with each article, never from text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.core.models import ArticleReading, FilterRule, UnreadArticle
from bot.features.feeds.discovery import looks_like_html
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.read.extraction import ExtractedArticle, FeedFallback
from bot.pipeline.read.page_reading import PageReading, read_page_in_pool
from bot.pipeline.route.article_age import too_old_reason
from bot.pipeline.route.filters import ArticleFields, evaluate
from bot.pipeline.route.follow_index import FollowIndex
from bot.pipeline.story.copies import CopyIndex, Fingerprint, comparable, fingerprint, normalise_url
from bot.pipeline.story.copies.boilerplate import feed_site
from bot.pipeline.timings import PipelineTimings, WakeLoop
from bot.pipeline.worker_pool import WorkerPool
from storage import Repositories

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(days=3)
READ_BATCH = 16
CONCURRENT_READS = 4
MAX_READ_ATTEMPTS = 3
STOPPED_WHILE_READING = "Newsdesk stopped while reading it"
INTERNAL_ERROR = "an internal error (logged)"


def give_up_reason(last_failure: str) -> str:
    """Say why an article will not be posted after its last failed attempt to read it."""
    return (
        f"Newsdesk could not read this article in {MAX_READ_ATTEMPTS} attempts "
        f"({last_failure.rstrip('.')}), so it gave up on it."
    )


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


def routing_fields(reading: ArticleReading, feed_title: str) -> ArticleFields:
    """Return what filters and follows look at: the read title, text (the summary when the
    page gave none), author and the feed's title as the source."""
    return ArticleFields(
        title=reading.title, text=reading.text or reading.summary,
        author=reading.author or "", source=feed_title,
    )


def held_back_by_filters(
    waiting: Sequence[tuple[int, int | None]],
    rules: Mapping[int, tuple[str, Sequence[FilterRule]]],
    fields: ArticleFields,
) -> dict[int, str]:
    """Return the waiting posts (outbox id, subscription id) that their subscription's
    filters (``rules``: subscription id -> mode and rules) hold back, each with the reason.

    A post of no subscription, or of a subscription without rules, is never held back.
    """
    held: dict[int, str] = {}
    for outbox_id, subscription in waiting:
        if subscription is None or subscription not in rules:
            continue
        mode, subscription_rules = rules[subscription]
        verdict = evaluate(subscription_rules, mode, fields)
        if not verdict.passed:
            held[outbox_id] = verdict.reason
    return held


class ArticleReader:
    """Reads unread articles and assigns their stories; wakes the deliverer after."""

    def __init__(
        self,
        repositories: Repositories,
        fetcher: Fetcher,
        clock: Callable[[], datetime],
        *,
        pool: WorkerPool,
        timings: PipelineTimings,
        on_ready_to_post: Callable[[], None] = lambda: None,
    ) -> None:
        self._repos = repositories
        self._fetcher = fetcher
        self._pool = pool
        self._clock = clock
        self._on_ready_to_post = on_ready_to_post
        self._index = CopyIndex()
        self._follows = FollowIndex(repositories)
        self._indexed_at: dict[int, datetime] = {}
        self._in_flight: set[int] = set()
        # Articles whose reading failed this round: tried again in the next one, not at once.
        self._retry_later: set[int] = set()
        # Articles whose counted attempt has not ended (a shutdown may cut it short).
        self._unfinished: set[int] = set()
        self._wake_loop = WakeLoop("reading", self._read_round, timings.idle_wake_seconds)
        self._story_lock = asyncio.Lock()
        self._loaded = False

    def wake(self) -> None:
        """Ask the running reader to look for unread articles now."""
        self._wake_loop.wake()

    async def load_index(self) -> int:
        """Rebuild the copy index from the stored fingerprints of recent articles."""
        now = self._clock()
        records = await self._repos.stories.fingerprints_since(now - STORY_WINDOW)
        addresses = await self._repos.stories.article_sites_since(now - STORY_WINDOW)
        sites = {
            article_id: feed_site(feed_id, address)
            for article_id, (feed_id, address) in addresses.items()
        }
        self._index = await asyncio.to_thread(CopyIndex.from_records, records, sites=sites)
        self._indexed_at = {article_id: now for article_id, _ in records}
        self._loaded = True
        return len(records)

    async def run_forever(self) -> None:
        """Read whenever woken (or every few seconds) until cancelled; never dies of a bug."""
        await self.load_index()
        await self._wake_loop.run_forever()

    async def _read_round(self) -> None:
        self._retry_later.clear()
        read = 0
        while batch := await self.read_unread():
            read += batch
        self._forget_old()
        if read:
            # Readings that released no post still change the outbox: posts filtered out,
            # sent posts whose story gained a source and wait for an edit.
            self._on_ready_to_post()

    async def read_unread(self) -> int:
        """Read one batch of unread articles; return how many were read."""
        if not self._loaded:
            await self.load_index()
        batch = await self._repos.stories.unread(
            READ_BATCH, exclude=sorted(self._in_flight | self._retry_later)
        )
        limit = asyncio.Semaphore(CONCURRENT_READS)

        async def read(unread: UnreadArticle) -> None:
            async with limit:
                await self.read_one(unread)

        await asyncio.gather(*(read(unread) for unread in batch))
        return len(batch)

    async def read_one(self, unread: UnreadArticle) -> None:
        """Read one article, record it with its story, and release its waiting posts; give it
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
                reason = error.message if isinstance(error, UserError) else INTERNAL_ERROR
                log.exception(
                    "reading failed article_id=%s url=%s attempt=%d",
                    article.id, article.url, attempts,
                )
                if attempts >= MAX_READ_ATTEMPTS:
                    await self._give_up(unread, reason)
                else:
                    await self._repos.stories.record_read_failure(article.id, reason)
                    self._retry_later.add(article.id)
            self._unfinished.discard(article.id)
        finally:
            self._in_flight.discard(article.id)

    async def give_back_unfinished(self) -> int:
        """Uncount the attempts a shutdown cut short (call once the reader has stopped, before
        the database closes): the shutdown stopped them, not their articles. A process killed
        outright never gets here, and its attempts count. Returns how many were given back."""
        unfinished = sorted(self._unfinished)
        self._unfinished.clear()
        for article_id in unfinished:
            await self._repos.stories.give_back_reading(article_id)
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
        extracted = page.article
        fp = page.fingerprint if page.fingerprint is not None else fingerprint("")
        reading = reading_from(unread, extracted, fp)
        held_back, follow_posts = await self._route(unread, reading)
        # Pages are fetched and read in parallel, but stories are decided one article at a
        # time: two copies read together must not each start a story of their own.
        async with self._story_lock:
            site = feed_site(article.feed_id, extracted.canonical_url, article.url)
            story_id = await self._find_story(article.id, article.url_key, extracted, fp, site)
            released = await self._repos.stories.record_reading(
                article.id, reading, story_id, self._clock(),
                held_back=held_back, follow_posts=follow_posts,
            )
            if reading.fingerprint is not None:
                self._index.add(article.id, fp, site)
                self._indexed_at[article.id] = self._clock()
        if released:
            self._on_ready_to_post()

    async def _route(
        self, unread: UnreadArticle, reading: ArticleReading
    ) -> tuple[dict[int, str], list[tuple[int, int, int, int | None]]]:
        """Apply subscription filters and maximum ages to the waiting posts (what each held
        back, and why) and find the follows' posts."""
        if not unread.has_waiting_posts:
            return {}, []  # a feed's backlog: neither filtered nor followed
        fields = routing_fields(reading, unread.feed_title)
        waiting = await self._repos.stories.waiting_rows(unread.article.id)
        rules = await self._repos.follows.rules_for_subscriptions(
            [subscription for _, subscription in waiting if subscription is not None]
        )
        # Admins' regexes can take up to their time budget: never on the event loop.
        filtered = (
            await asyncio.to_thread(held_back_by_filters, waiting, rules, fields) if rules else {}
        )
        ages = await self._repos.subscriptions.max_ages(
            [subscription for _, subscription in waiting if subscription is not None]
        )
        held_back = {outbox_id: f"filtered: {reason}" for outbox_id, reason in filtered.items()}
        first_seen = unread.article.first_seen_at
        for outbox_id, subscription in waiting:
            if outbox_id in held_back or subscription not in ages:
                continue
            max_age_days, subscribed_at = ages[subscription]
            if first_seen <= subscribed_at:
                continue  # backfill: the admin asked for these items, old or not
            too_old = too_old_reason(reading.published_at, first_seen, max_age_days)
            if too_old is not None:
                held_back[outbox_id] = too_old
        posts = await self._follows.posts_for(unread.article.feed_id, reading.details, fields)
        return held_back, [
            (post.guild_id, post.channel_id, post.follow_id, post.role_id) for post in posts
        ]

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

    async def _find_story(
        self, article_id: int, url_key: str | None, extracted: ExtractedArticle, fp: Fingerprint,
        site: str | None,
    ) -> int | None:
        keys = [url_key] if url_key else []
        for address in (extracted.canonical_url, extracted.original_url):
            if address:
                keys.append(normalise_url(address))
        since = self._clock() - STORY_WINDOW
        story_id = await self._repos.stories.story_for_addresses(article_id, keys, since)
        if story_id is not None or not comparable(fp):
            return story_id
        match = self._index.find_copy_of(fp, site)
        if match is None:
            return None
        return await self._repos.stories.story_of(match[0])

    def _forget_old(self) -> None:
        cutoff = self._clock() - STORY_WINDOW
        for article_id in [key for key, seen in self._indexed_at.items() if seen < cutoff]:
            self._index.remove(article_id)
            del self._indexed_at[article_id]
