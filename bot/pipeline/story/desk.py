"""The story desk: decides, one article at a time, the story of each article read and what
becomes of its waiting posts.

Rules:
- Routing first: subscription filters and maximum ages hold waiting posts back (with the
  reason), and follows add posts. A feed's backlog (an article no post waits for) is
  neither filtered nor followed.
- The story is, in order: the story of a recent article at the same address (URL, canonical
  URL, or the original it credits); else the story of the recent article it copies
  (containment of word 3-shingles, ``bot.pipeline.story.copies``, never of an article of
  the same feed and host, and without the text such sites repeat across their articles:
  ``bot.pipeline.story.copies.boilerplate``); else a new story. "Recent" is ``STORY_WINDOW``.
- Stories are decided one article at a time: two copies decided together must not each start
  a story of their own. So there is one desk. In one process (role ``all``) the reader hands
  each reading straight to it (``decide``); past one process the desk is a leader with
  standbys (``bot.app.roles.desk_role``) that takes the readings readers stored, in arrival
  order (``decide_awaiting``), and every decision is fenced by its lease: a stale desk's
  writes are refused (``LeadershipLost``), and an article is never decided twice
  (``AlreadyDecided``: the decision is dropped).
- A reading the desk cannot decide (a bug, a database error) is a failed attempt to read the
  article: it is sent back to be read again, or given up after ``MAX_READ_ATTEMPTS``.
- The copy index lives in memory, rebuilt when the desk starts (or becomes leader) from the
  fingerprints stored with each decided article, never from text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.core.errors import LeadershipLost
from bot.core.models import (
    Article,
    ArticleReading,
    AwaitingDesk,
    FilterRule,
    UnreadArticle,
)
from bot.core.urls import normalise_url
from bot.pipeline.read.attempts import (
    MAX_READ_ATTEMPTS,
    failure_reason,
    give_up_reason,
)
from bot.pipeline.route.article_age import too_old_reason
from bot.pipeline.route.filters import ArticleFields, evaluate
from bot.pipeline.route.follow_index import FollowIndex
from bot.pipeline.story.copies import CopyIndex, Fingerprint, comparable
from bot.pipeline.story.copies.boilerplate import feed_site
from bot.pipeline.timings import PipelineTimings, WakeLoop
from storage import Repositories
from storage.leases import Fence
from storage.stories import AlreadyDecided

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(days=3)
# Readings taken from the database at a time; each is still decided on its own.
DECIDE_BATCH = 32
# What a post of a waiting row carries: (guild id, channel id, follow id, role id to ping).
FollowPostRow = tuple[int, int, int, int | None]


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


def stored_reading(awaiting: AwaitingDesk) -> ArticleReading:
    """Return the reading a reader stored, as the desk decides it."""
    article = awaiting.unread.article
    return ArticleReading(
        title=article.title,
        summary=article.summary,
        author=article.author,
        published_at=article.published_at,
        image_url=article.image_url,
        original_url=awaiting.original_url,
        original_url_key=normalise_url(awaiting.original_url) if awaiting.original_url else None,
        original_publisher=awaiting.original_publisher,
        fingerprint=awaiting.fingerprint,
        details=article.details,
        text=article.text or "",
    )


class StoryDesk:
    """Decides stories and routing, one article at a time; wakes the deliverer after."""

    def __init__(
        self,
        repositories: Repositories,
        clock: Callable[[], datetime],
        *,
        timings: PipelineTimings,
        on_ready_to_post: Callable[[], None] = lambda: None,
    ) -> None:
        self._repos = repositories
        self._clock = clock
        self._on_ready_to_post = on_ready_to_post
        self._index = CopyIndex()
        self._follows = FollowIndex(repositories)
        self._indexed_at: dict[int, datetime] = {}
        self._story_lock = asyncio.Lock()
        self._loaded = False
        self._fence: Fence | None = None
        self._wake_loop = WakeLoop(
            "story desk", self._decide_round, timings.idle_wake_seconds,
            ends_on=(LeadershipLost,),
        )
        self.decided = 0

    def wake(self) -> None:
        """Ask the running desk to look for stored readings now."""
        self._wake_loop.wake()

    async def load_index(self) -> int:
        """Rebuild the copy index from the stored fingerprints of recent decided articles."""
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

    async def run_forever(self, fence: Fence | None = None) -> None:
        """Decide stored readings whenever woken (or every few seconds) until cancelled,
        every write under ``fence`` (the desk's lease); never dies of a bug.

        Raises:
            LeadershipLost: another desk leads now (a write was refused).
        """
        self._fence = fence
        await self.load_index()
        await self._wake_loop.run_forever()

    async def decide(
        self, unread: UnreadArticle, reading: ArticleReading, *, stored: bool = False,
        fingerprint: Fingerprint | None = None,
    ) -> list[int] | None:
        """Route an article, decide its story and record it (with ``reading`` unless a
        reader ``stored`` it); return the posts that became pending, or None when the
        article was decided elsewhere meanwhile (nothing of this decision is kept).

        ``fingerprint`` is the reading's, when the caller has it unpacked already.

        Raises:
            LeadershipLost: another desk leads now; nothing was written.
        """
        if not self._loaded:
            await self.load_index()
        article = unread.article
        held_back, follow_posts = await self._route(unread, reading)
        fp = None
        if reading.fingerprint is not None:
            fp = fingerprint if fingerprint is not None else Fingerprint.from_bytes(
                reading.fingerprint
            )
        async with self._story_lock:
            site = feed_site(article.feed_id, reading.details.canonical_url, article.url)
            story_id = await self._find_story(article, reading, fp, site)
            try:
                if stored:
                    released = await self._repos.stories.record_decision(
                        article.id, reading, story_id, self._clock(),
                        held_back=held_back, follow_posts=follow_posts, fence=self._fence,
                    )
                else:
                    released = await self._repos.stories.record_reading(
                        article.id, reading, story_id, self._clock(),
                        held_back=held_back, follow_posts=follow_posts,
                    )
            except AlreadyDecided:
                log.info("article decided elsewhere article_id=%s", article.id)
                return None
            if fp is not None:
                self._index.add(article.id, fp, site)
                self._indexed_at[article.id] = self._clock()
        self.decided += 1
        return released

    async def decide_awaiting(self) -> int:
        """Decide one batch of stored readings, in arrival order; return how many."""
        batch = await self._repos.stories.awaiting_desk(DECIDE_BATCH)
        for awaiting in batch:
            await self._decide_stored(awaiting)
        if batch:
            # One wake per batch: readings that released no post still change the outbox
            # (posts filtered out, sent posts whose story gained a source wait for an edit).
            self._on_ready_to_post()
        return len(batch)

    async def _decide_round(self) -> None:
        while await self.decide_awaiting():
            pass
        self.forget_old()

    async def _decide_stored(self, awaiting: AwaitingDesk) -> None:
        unread = awaiting.unread
        article = unread.article
        try:
            await self.decide(unread, stored_reading(awaiting), stored=True)
        except LeadershipLost:
            raise
        except Exception as error:
            reason = failure_reason(error)
            log.exception(
                "deciding failed article_id=%s url=%s attempts=%d",
                article.id, article.url, unread.read_attempts,
            )
            if unread.read_attempts >= MAX_READ_ATTEMPTS:
                failed = await self._repos.stories.give_up_reading(
                    article.id, give_up_reason(reason), self._clock(), fence=self._fence
                )
                log.warning(
                    "article given up article_id=%s url=%s posts_failed=%d",
                    article.id, article.url, failed,
                )
            else:
                await self._repos.stories.send_back_reading(article.id, reason, fence=self._fence)

    async def _route(
        self, unread: UnreadArticle, reading: ArticleReading
    ) -> tuple[dict[int, str], list[FollowPostRow]]:
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

    async def _find_story(
        self, article: Article, reading: ArticleReading, fp: Fingerprint | None,
        site: str | None,
    ) -> int | None:
        keys = [article.url_key] if article.url_key else []
        for address in (reading.details.canonical_url, reading.original_url):
            if address:
                keys.append(normalise_url(address))
        since = self._clock() - STORY_WINDOW
        story_id = await self._repos.stories.story_for_addresses(article.id, keys, since)
        if story_id is not None or fp is None or not comparable(fp):
            return story_id
        match = self._index.find_copy_of(fp, site)
        if match is None:
            return None
        return await self._repos.stories.story_of(match[0])

    def forget_old(self) -> None:
        """Drop from the copy index the articles older than ``STORY_WINDOW``."""
        cutoff = self._clock() - STORY_WINDOW
        for article_id in [key for key, seen in self._indexed_at.items() if seen < cutoff]:
            self._index.remove(article_id)
            del self._indexed_at[article_id]
