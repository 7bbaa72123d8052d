"""Following feeds: what ``/feed add``, ``/feed list`` and ``/feed remove`` do, without Discord.

Rules: a feed is validated by fetching and parsing it before anything is stored; subscribing
seeds the feed's current entries as already seen, so the first poll posts nothing old;
subscribing twice to the same feed in the same channel is reported, not an error; every
call is scoped to one server (``guild_id`` first) and never sees another server's rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.app.settings import Settings
from bot.core.errors import (
    FeedParseError,
    InvalidInput,
    LimitReached,
    NoSuchSubscription,
    NotFound,
    SubscriptionLimitReached,
    UserError,
)
from bot.core.models import (
    Article,
    ArticleCard,
    Feed,
    FeedSnapshot,
    NewArticle,
    Subscription,
    SubscriptionSummary,
)
from bot.core.text import INVISIBLE_CHARACTERS, MESSAGE_LIMIT, trim_text
from bot.features.feeds.discovery import (
    SeveralFeedsFound,
    declared_feeds,
    looks_like_html,
    probe_common_paths,
)
from bot.features.on_demand import FEED_ADD_LIMITS, OnDemandBudget, OnDemandLimits
from bot.pipeline.deliver.cards import EMBED_STYLES, article_card, parse_colour, post_template
from bot.pipeline.deliver.templates import (
    TEST_POST_HEADING,
    TemplateValues,
    post_content,
    shows_summary,
    validate_template,
)
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import FeedParser, ParsedEntry
from storage import Repositories

MAX_URL_LENGTH = 2048
MAX_BACKFILL = 10
REFRESH_COOLDOWN = timedelta(minutes=1)
MAX_INTERVAL = timedelta(hours=24)
MAX_AGE_DAYS_LIMIT = 3650


@dataclass(frozen=True)
class AddedFeed:
    """The outcome of ``/feed add``: what was followed and what will happen next."""

    subscription: Subscription
    feed_url: str
    feed_title: str
    entry_count: int
    listed_items: int
    latest: ParsedEntry | None
    already_existed: bool
    backfill: int
    queued_outbox_ids: list[int]
    cut_off: bool = False
    """The feed's document was cut off before its end: only the items before the cut."""


def normalise_feed_address(raw: str) -> str:
    """Return the URL to fetch for what a person typed, adding ``https://`` when omitted.

    Raises:
        InvalidInput: the text cannot be a web address.
    """
    url = raw.strip().strip("<>")
    if not url:
        raise InvalidInput("Give the feed's address, for example https://example.com/feed.xml.")
    if "://" not in url:
        url = f"https://{url}"
    scheme = url.split("://", 1)[0].lower()
    if scheme not in {"http", "https"}:
        raise InvalidInput(
            f"Newsdesk follows http and https addresses only, not {scheme}: links. "
            "Paste the feed's web address."
        )
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() for ch in url):
        raise InvalidInput("That does not look like a web address. Paste the feed's full URL.")
    if INVISIBLE_CHARACTERS.search(url):
        # Stored as typed, they would also make /feed export a file no reader (ours
        # included) can import.
        raise InvalidInput(
            "That address has invisible or control characters in it: paste just the feed's "
            "address, typed plainly."
        )
    return url


def first_check_delay(url: str, interval_seconds: int) -> timedelta:
    """Spread first checks over the interval by a stable hash of the URL."""
    fraction = int.from_bytes(hashlib.sha256(url.encode()).digest()[:4], "big") / 2**32
    return timedelta(seconds=interval_seconds * (0.5 + fraction / 2))


def latest_entry(entries: tuple[ParsedEntry, ...]) -> ParsedEntry | None:
    """Return the most recently published entry, else the first one listed."""
    dated = [entry for entry in entries if entry.published is not None]
    if dated:
        return max(dated, key=lambda entry: entry.published or datetime.min)
    return entries[0] if entries else None


class SubscriptionService:
    """Adds, lists and removes a server's feed subscriptions."""

    def __init__(
        self,
        repositories: Repositories,
        fetcher: Fetcher,
        settings: Settings,
        clock: Callable[[], datetime],
        feeds: FeedParser,
        *,
        add_limits: OnDemandLimits = FEED_ADD_LIMITS,
    ) -> None:
        self._repos = repositories
        # Every fetch here is one a member asked for: the on-demand slots, never the pollers'.
        self._fetcher = fetcher.on_demand
        self._settings = settings
        self._clock = clock
        self._add_budget = OnDemandBudget("/feed add", add_limits, clock)
        self._feeds = feeds

    async def add(
        self,
        guild_id: int,
        channel_id: int,
        address: str,
        *,
        added_by: int,
        backfill: int = 0,
        by_hand: bool = True,
        forum_tag_id: int | None = None,
        channel_kind: str | None = None,
    ) -> AddedFeed:
        """Validate a feed by fetching it, then follow it in a channel.

        Nothing already in the feed is posted, except the latest ``backfill`` items, once.
        A feed added ``by_hand`` counts against the member's and the server's ``/feed add``
        allowances (an OPML import's feeds do not: the import is one command, and its
        fetches queue for the same on-demand slots).

        Raises:
            LimitReached: the member or the server added feeds too often lately.
            InvalidInput: the address is not a web address.
            FetchError: the address could not be fetched.
            FeedParseError: the address does not serve a feed and leads to none.
            SeveralFeedsFound: the address is a page offering several feeds.
            LimitReached: the server follows as many feeds as it may.
        """
        if not 0 <= backfill <= MAX_BACKFILL:
            raise InvalidInput(f"backfill must be between 0 and {MAX_BACKFILL}.")
        url = normalise_feed_address(address)
        if by_hand:
            self._add_budget.claim(guild_id, added_by)
        result = await self._fetcher.fetch(url)
        try:
            parsed = await self._feeds.parse(
                result.body, url=url, content_type=result.content_type
            )
        except FeedParseError:
            if not looks_like_html(result.body, result.content_type):
                raise
            url = normalise_feed_address(await self._discover(url, result.body, result.url))
            result = await self._fetcher.fetch(url)
            parsed = await self._feeds.parse(
                result.body, url=url, content_type=result.content_type
            )
        now = self._clock()
        interval = self._settings.default_interval_seconds
        snapshot = FeedSnapshot(
            url=url,
            title=parsed.title or url,
            site_url=parsed.link,
            etag=result.etag,
            last_modified=result.last_modified,
            body_sha256=result.body_sha256,
            interval_seconds=interval,
            next_check_at=now + first_check_delay(url, interval),
            entries=articles_from_entries(parsed.entries),
        )
        try:
            outcome = await self._repos.subscriptions.subscribe(
                guild_id, channel_id, snapshot, created_by=added_by, now=now,
                max_feeds=self._settings.max_feeds_per_server, backfill=backfill,
                forum_tag_id=forum_tag_id, channel_kind=channel_kind,
            )
        except SubscriptionLimitReached as full:
            raise LimitReached(
                f"This server already follows {full.count} feeds, the most allowed "
                f"({full.limit}). Remove one with /feed remove first."
            ) from None
        return AddedFeed(
            subscription=outcome.subscription,
            feed_url=url,
            feed_title=snapshot.title,
            entry_count=len(parsed.entries),
            listed_items=parsed.listed_items,
            latest=latest_entry(parsed.entries),
            already_existed=outcome.already_existed,
            backfill=0 if outcome.already_existed else min(backfill, len(parsed.entries)),
            queued_outbox_ids=outcome.queued_outbox_ids,
            cut_off=parsed.cut_off,
        )

    async def _discover(self, page_url: str, page: bytes, final_url: str) -> str:
        """Return the one feed a web page leads to.

        Raises:
            SeveralFeedsFound: the page offers several feeds; the person must choose.
            FeedParseError: the page leads to no feed.
        """
        candidates = declared_feeds(page, final_url)
        if not candidates:
            candidates = await probe_common_paths(self._fetcher, self._feeds, final_url)
        if not candidates:
            raise FeedParseError(
                "That page is not a feed and Newsdesk found no feed on it. Paste the site's "
                "feed address (it often ends in /feed, /rss or .xml)."
            )
        if len(candidates) > 1:
            raise SeveralFeedsFound(page_url, candidates)
        return candidates[0].url

    async def list_subscriptions(self, guild_id: int) -> list[SubscriptionSummary]:
        """Return the server's subscriptions."""
        return await self._repos.subscriptions.list_for_guild(guild_id)

    async def get(self, guild_id: int, subscription_id: int) -> SubscriptionSummary:
        """Return one of the server's subscriptions.

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self._repos.subscriptions.get(guild_id, subscription_id)
        if summary is None:
            raise NoSuchSubscription(subscription_id)
        return summary

    async def status(
        self, guild_id: int, subscription_id: int | None = None
    ) -> list[FeedStatus]:
        """Return the health of every feed the server follows (or of one subscription's).

        Raises:
            NotFound: the server has no subscription ``subscription_id``.
        """
        now = self._clock()
        statuses: list[FeedStatus] = []
        summaries = (
            await self._repos.subscriptions.list_for_guild(guild_id) if subscription_id is None
            else [await self.get(guild_id, subscription_id)]
        )
        for summary in summaries:
            feed = await self._repos.feeds.get(summary.subscription.feed_id)
            if feed is None:
                continue
            recent = await self._repos.articles.count_seen_since(feed.id, now - timedelta(days=7))
            statuses.append(FeedStatus(summary, feed, recent))
        return statuses

    async def feed_to_refresh(self, guild_id: int, subscription_id: int) -> Feed:
        """Return the feed behind a subscription if it may be checked by hand now.

        Raises:
            NotFound: the server has no subscription with that id.
            LimitReached: the feed was checked less than a minute ago.
        """
        summary = await self.get(guild_id, subscription_id)
        feed = await self._repos.feeds.get(summary.subscription.feed_id)
        if feed is None:
            raise NoSuchSubscription(subscription_id)
        now = self._clock()
        if feed.last_checked_at is not None and now - feed.last_checked_at < REFRESH_COOLDOWN:
            wait = REFRESH_COOLDOWN - (now - feed.last_checked_at)
            raise LimitReached(
                f"**{trim_text(feed.title, 200)}** was checked less than a minute ago. "
                f"Try again in {max(1, int(wait.total_seconds()))} seconds."
            )
        return feed

    async def set_interval(
        self, guild_id: int, subscription_id: int, minutes: int | None
    ) -> tuple[SubscriptionSummary, int, int | None]:
        """Ask for a feed to be checked every ``minutes`` (None: the default).

        Returns the subscription, the interval the feed now gets, in seconds (the shortest
        any server asks for), and which of this server's subscriptions asks for that one
        (None: another server's).

        Raises:
            NotFound: the server has no subscription with that id.
            InvalidInput: the interval is outside the allowed bounds.
        """
        summary = await self.get(guild_id, subscription_id)
        seconds = None if minutes is None else minutes * 60
        low, high = self._settings.min_interval_seconds, int(MAX_INTERVAL.total_seconds())
        if seconds is not None and not low <= seconds <= high:
            raise InvalidInput(
                f"The interval must be between {low // 60} minutes and {high // 3600} hours."
            )
        default = self._settings.default_interval_seconds
        effective = await self._repos.subscriptions.set_interval(
            guild_id, subscription_id, seconds, default_seconds=default, now=self._clock(),
        )
        if (seconds or default) <= effective:
            return summary, effective, subscription_id
        asker = await self._repos.subscriptions.shortest_interval_asker(
            summary.subscription.feed_id, default, guild_id
        )
        return summary, effective, asker[1] if asker and asker[0] == guild_id else None

    async def enable(
        self, guild_id: int, subscription_id: int
    ) -> tuple[SubscriptionSummary, bool]:
        """Resume posting a subscription that was disabled (for example after a 403); return
        it and whether it was disabled (an enabled one is left as it is).

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        if summary.subscription.enabled:
            return summary, False
        seed = await self._current_entries(summary)
        await self._repos.subscriptions.enable(guild_id, subscription_id, seed, self._clock())
        return summary, True

    async def pause(
        self, guild_id: int, subscription_id: int
    ) -> tuple[SubscriptionSummary, bool]:
        """Stop posting a subscription's new articles until it is resumed; return it and
        whether it was posting (False: it was paused already).

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        paused = await self._repos.subscriptions.pause(guild_id, subscription_id, self._clock())
        return summary, paused

    async def resume(
        self, guild_id: int, subscription_id: int
    ) -> tuple[SubscriptionSummary, bool]:
        """Post a paused subscription's new articles again, from now on (what the feed
        published meanwhile is not posted in a burst); return it and whether it was paused.

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        if summary.subscription.paused_at is None:
            return summary, False
        seed = await self._current_entries(summary)
        await self._repos.subscriptions.resume(guild_id, subscription_id, seed, self._clock())
        return summary, True

    async def _current_entries(self, summary: SubscriptionSummary) -> list[NewArticle]:
        """Return the feed's entries now, to store as seen before posting starts again."""
        try:
            result = await self._fetcher.fetch(summary.feed_url)
            parsed = await self._feeds.parse(
                result.body, url=summary.feed_url, content_type=result.content_type
            )
            return articles_from_entries(parsed.entries)
        except UserError:
            return []  # the feed's own health reporting covers a feed that fails now

    async def forget_guild(self, guild_id: int) -> int:
        """Disable every subscription of a server the bot was removed from."""
        return await self._repos.subscriptions.disable_guild(
            guild_id, "Newsdesk was removed from the server."
        )

    async def set_max_age(
        self, guild_id: int, subscription_id: int, days: int
    ) -> SubscriptionSummary:
        """Set the maximum age of the articles a subscription posts (0: no limit).

        Raises:
            NotFound: the server has no subscription with that id.
            InvalidInput: the number of days is outside 0 to ``MAX_AGE_DAYS_LIMIT``.
        """
        if not 0 <= days <= MAX_AGE_DAYS_LIMIT:
            raise InvalidInput(f"Give a maximum age of 0 to {MAX_AGE_DAYS_LIMIT} days.")
        summary = await self.get(guild_id, subscription_id)
        await self._repos.subscriptions.set_max_age(guild_id, subscription_id, days)
        return summary

    async def set_post_copies(
        self, guild_id: int, subscription_id: int, post: bool
    ) -> SubscriptionSummary:
        """Choose whether a subscription posts copies of stories already posted there.

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        await self._repos.subscriptions.set_post_copies(guild_id, subscription_id, post)
        return summary

    async def set_template(
        self, guild_id: int, subscription_id: int, template: str | None
    ) -> SubscriptionSummary:
        """Store (or clear, with None) the text shown above a subscription's posts.

        Raises:
            NotFound: the server has no subscription with that id.
            InvalidInput: the template cannot be rendered.
        """
        summary = await self.get(guild_id, subscription_id)
        checked = validate_template(template) if template is not None else None
        await self._repos.subscriptions.set_look(guild_id, subscription_id, template=checked)
        return summary

    async def test_post(self, guild_id: int, subscription_id: int) -> MarkedTestPost:
        """Render the subscription's latest article as its next post would look, marked as a
        test; nothing is recorded (the article's delivery, if any, is untouched).

        Raises:
            NotFound: the server has no subscription with that id, or its feed no article.
        """
        summary = await self.get(guild_id, subscription_id)
        preview = await self.preview_template(guild_id, subscription_id, None)
        return MarkedTestPost(
            channel_id=summary.subscription.channel_id,
            content=preview.content(TEST_POST_HEADING),
            card=preview.card,
            title=preview.article.title,
            source=preview.source,
            forum_tag_id=await self._repos.subscriptions.forum_tag_of(guild_id, subscription_id),
        )

    async def set_embed(
        self, guild_id: int, subscription_id: int, style: str | None, colour: str | None
    ) -> tuple[SubscriptionSummary, str, int | None]:
        """Change a subscription's embed style and/or colour (None leaves one as it is);
        return the subscription, its style and its colour.

        Raises:
            NotFound: the server has no subscription with that id.
            InvalidInput: an unknown style or a colour that is not six hex digits.
        """
        summary = await self.get(guild_id, subscription_id)
        current_style, current_colour = await self._repos.subscriptions.embed_of(
            guild_id, subscription_id
        )
        if style is not None and style not in EMBED_STYLES:
            raise InvalidInput("Choose an embed style: " + ", ".join(EMBED_STYLES) + ".")
        new_style = style if style is not None else current_style
        new_colour = parse_colour(colour) if colour is not None else current_colour
        await self._repos.subscriptions.set_embed(
            guild_id, subscription_id, new_style, new_colour
        )
        return summary, new_style, new_colour

    async def template_of(self, guild_id: int, subscription_id: int) -> str | None:
        """Return a subscription's template.

        Raises:
            NotFound: the server has no subscription with that id.
        """
        await self.get(guild_id, subscription_id)
        return await self._repos.subscriptions.template_of(guild_id, subscription_id)

    async def preview_template(
        self, guild_id: int, subscription_id: int, template: str | None
    ) -> TemplatePreview:
        """Render a post of the subscription's latest article with ``template`` (None: its
        current one) and its embed, as the deliverer would, without saving anything.

        Raises:
            NotFound: the server has no subscription with that id, or its feed no article.
            InvalidInput: the template cannot be rendered.
        """
        summary = await self.get(guild_id, subscription_id)
        checked = validate_template(template) if template is not None else (
            await self._repos.subscriptions.template_of(guild_id, subscription_id)
        )
        latest = await self._repos.articles.latest_for_feed(summary.subscription.feed_id, 1)
        if not latest:
            raise NotFound("That feed has no article yet to preview the template on.")
        article, source = latest[0]
        style, colour = await self._repos.subscriptions.embed_of(guild_id, subscription_id)
        card = article_card(
            article, source_name=source, source_url=None,
            summary=not shows_summary(checked), style=style, colour=colour,
        )
        feed = await self._repos.feeds.get(summary.subscription.feed_id)
        values = TemplateValues.of(
            article, source, None,
            (source, summary.feed_url, feed.site_url if feed is not None else None),
        )
        text = post_content(post_template(checked, style), None, values)
        return TemplatePreview(
            template=checked, text=text, card=card, article=article, source=source,
        )

    async def webhook_of_channel(self, guild_id: int, channel_id: int) -> tuple[int, str] | None:
        """Return the webhook Newsdesk already made in a channel, if any."""
        return await self._repos.subscriptions.channel_webhook(guild_id, channel_id)

    async def set_forum_tag(
        self, guild_id: int, subscription_id: int, tag_id: int | None
    ) -> SubscriptionSummary:
        """Choose the forum tag of a subscription's posts (None: the forum's default one).

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        await self._repos.subscriptions.set_forum_tag(guild_id, subscription_id, tag_id)
        return summary

    async def forum_tag_of(self, guild_id: int, subscription_id: int) -> int | None:
        """Return the forum tag an admin chose for a subscription (None: the default one)."""
        return await self._repos.subscriptions.forum_tag_of(guild_id, subscription_id)

    async def webhook_of_subscription(
        self, guild_id: int, subscription_id: int
    ) -> tuple[int, str] | None:
        """Return the webhook a subscription posts through (None: it posts as Newsdesk).

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        return await self._repos.subscriptions.subscription_webhook(
            guild_id, summary.subscription.id
        )

    async def use_webhook(
        self, guild_id: int, subscription_id: int, webhook: tuple[int, str] | None
    ) -> SubscriptionSummary:
        """Post a subscription through its channel's webhook (``None``: as the bot again).

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        await self._repos.subscriptions.use_webhook(
            guild_id, subscription_id, webhook, summary.subscription.channel_id
        )
        return summary

    async def set_ping_role(
        self, guild_id: int, subscription_id: int, role_id: int | object | None = ..., *,
        notify_button: bool | None = None,
    ) -> SubscriptionSummary:
        """Ping ``role_id`` for every post of a subscription (None: stop pinging; ``...``:
        keep the role), and turn its "Notify me" button on or off (None: as it is).

        Raises:
            NotFound: the server has no subscription with that id.
        """
        summary = await self.get(guild_id, subscription_id)
        await self._repos.subscriptions.set_look(
            guild_id, subscription_id, ping_role_id=role_id, notify_button=notify_button
        )
        return summary

    async def remove(self, guild_id: int, subscription_id: int) -> SubscriptionSummary:
        """Stop following one of the server's subscriptions and return what was removed.

        Raises:
            NotFound: the server has no subscription with that id.
        """
        existing = await self._repos.subscriptions.get(guild_id, subscription_id)
        if existing is None or not await self._repos.subscriptions.remove(
            guild_id, subscription_id
        ):
            raise NoSuchSubscription(subscription_id)
        return existing


@dataclass(frozen=True)
class MarkedTestPost:
    """A post of a subscription's latest article, marked as a test, ready to send."""

    channel_id: int
    content: str
    card: ArticleCard
    title: str
    source: str
    forum_tag_id: int | None
    """The forum tag an admin chose (a forum that requires tags refuses an untagged post)."""


@dataclass(frozen=True)
class TemplatePreview:
    """A post of the latest article as a template and the subscription's embed make it."""

    template: str | None
    text: str | None
    """The post's text, exactly as it would be posted (None: the embed alone)."""
    card: ArticleCard
    article: Article
    source: str

    def content(self, heading: str) -> str:
        """Return the post's text under ``heading``, within one message."""
        if not self.text:
            return heading
        return heading + "\n" + trim_text(self.text, MESSAGE_LIMIT - len(heading) - 1)


@dataclass(frozen=True)
class FeedStatus:
    """A subscription with its feed's health and recent volume."""

    summary: SubscriptionSummary
    feed: Feed
    items_last_7_days: int

