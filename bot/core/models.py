"""Plain data shared between storage and the domain: what repositories return.

Times are aware UTC datetimes in the domain and epoch seconds in SQLite; the repositories
convert at the boundary so nothing else has to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Feed:
    """One feed URL, shared by every server that follows it."""

    id: int
    url: str
    title: str
    site_url: str | None
    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    interval_seconds: int
    next_check_at: datetime
    last_checked_at: datetime | None
    error_count: int
    last_error: str | None
    failing_since: datetime | None = None
    disabled_at: datetime | None = None
    last_success_at: datetime | None = None
    failure_notified: bool = False

    @property
    def health(self) -> FeedHealth:
        """Return whether the feed is ok, failing or disabled."""
        if self.disabled_at is not None:
            return FeedHealth.DISABLED
        return FeedHealth.FAILING if self.error_count else FeedHealth.OK


class FeedHealth(StrEnum):
    """How a feed is doing, as admins see it."""

    OK = "ok"
    FAILING = "failing"
    DISABLED = "disabled"


@dataclass(frozen=True)
class FeedFailure:
    """A failed check to record, with its consequences decided by the domain."""

    error: str
    next_check_at: datetime
    notice: str | None
    disable: bool


@dataclass(frozen=True)
class ClaimedFeed:
    """A due feed a poller holds until ``claimed_until``, so no other round or process
    checks it meanwhile."""

    feed: Feed
    claimed_until: float
    """Epoch seconds on the database's clock, exactly as stored (a release names it)."""
    host_bucket: int | None = None
    """The bucket of the feed's host (PostgreSQL); None on SQLite, where one process polls."""


@dataclass(frozen=True)
class FeedCheck:
    """The feed state to record with a successful check."""

    title: str
    site_url: str | None
    etag: str | None
    last_modified: str | None
    body_sha256: str
    next_check_at: datetime
    recovery_notice: str | None = None
    icon_url: str | None = None


@dataclass(frozen=True)
class FeedSnapshot:
    """What a fresh fetch of a feed said, stored when a subscription is created."""

    url: str
    title: str
    site_url: str | None
    etag: str | None
    last_modified: str | None
    body_sha256: str
    interval_seconds: int
    next_check_at: datetime
    entries: Sequence[NewArticle]


@dataclass(frozen=True)
class Notice:
    """A claimed message for a server's admins."""

    id: int
    guild_id: int
    channel_id: int
    text: str
    attempts: int


class FilterField(StrEnum):
    """Which part of an article a rule looks at."""

    ANY = "any"
    TITLE = "title"
    TEXT = "text"
    AUTHOR = "author"
    SOURCE = "source"


class MatchKind(StrEnum):
    """How a rule's pattern is matched."""

    WORD = "word"
    PHRASE = "phrase"
    REGEX = "regex"


@dataclass(frozen=True)
class FilterRule:
    """One stored rule."""

    id: int
    action: str  # "include" or "exclude"
    field: FilterField
    match_kind: MatchKind
    pattern: str

    def describe(self) -> str:
        """Say the rule in words, e.g. ``exclude title word "sport"``."""
        return f'{self.action} {self.field.value} {self.match_kind.value} "{self.pattern}"'


@dataclass(frozen=True)
class ServerPreferences:
    """What a server's admins chose for Newsdesk there (``/newsdesk settings``)."""

    log_channel_id: int | None = None
    """Where notices about failing feeds and closed channels go; None: each feed's channel."""


@dataclass(frozen=True)
class DigestSchedule:
    """A channel's digest: how often, at what local time, and when it runs next."""

    id: int
    guild_id: int
    channel_id: int
    frequency: str  # daily or weekly
    weekday: int | None  # 0 = Monday, for weekly digests
    at_minute: int  # minutes after local midnight
    timezone: str
    next_run_at: datetime
    last_run_at: datetime | None


@dataclass(frozen=True)
class Follow:
    """A channel following a topic across the server's feeds (or a chosen few)."""

    id: int
    guild_id: int
    channel_id: int
    kind: str  # keyword, person, organization or place
    topic: str
    role_id: int | None
    subscription_ids: tuple[int, ...] | None
    filter_mode: str
    notify_button: bool = False
    """Whether posts pinging ``role_id`` carry a "Notify me" button giving or taking it."""


@dataclass(frozen=True)
class Subscription:
    """A server's channel following a feed."""

    id: int
    guild_id: int
    channel_id: int
    feed_id: int
    created_by: int
    created_at: datetime
    enabled: bool
    disabled_reason: str | None
    max_age_days: int = 3
    """Articles published more than this many days before they were first seen are not
    posted (0: no limit)."""
    paused_at: datetime | None = None
    """When an admin paused it (None: not paused); nothing new is queued while paused."""


@dataclass(frozen=True)
class SubscriptionSummary:
    """A subscription with the feed details a listing shows."""

    subscription: Subscription
    feed_url: str
    feed_title: str
    last_error: str | None


@dataclass(frozen=True)
class SubscribeResult:
    """The subscription and whether it existed before this call."""

    subscription: Subscription
    already_existed: bool
    queued_outbox_ids: list[int]


@dataclass(frozen=True)
class NewArticle:
    """An article about to be stored: what a feed entry says, keyed within its feed."""

    entry_key: str
    url: str | None
    title: str
    summary: str
    author: str | None
    image_url: str | None
    published_at: datetime | None
    url_key: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    """An article matching a search, with its source and the matching passage."""

    article: Article
    feed_title: str
    snippet: str


@dataclass(frozen=True)
class ArticleTrace:
    """What became of one article for one of a server's subscriptions."""

    article_id: int
    title: str
    url: str | None
    feed_title: str
    first_seen_at: datetime
    subscription_id: int
    channel_id: int
    subscription_created_at: datetime
    subscription_enabled: bool
    outbox_state: OutboxState | None
    message_id: int | None
    failure: str | None
    story_message_id: int | None = None
    paused_at: datetime | None = None
    resumed_at: datetime | None = None
    """When posting last came back after a pause or a stop (None: never stopped)."""


@dataclass(frozen=True)
class Organization:
    """An organisation named in an article, with the short forms it also goes by."""

    name: str
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Return ``{"name", "aliases"}`` for JSON output."""
        return {"name": self.name, "aliases": list(self.aliases)}


@dataclass(frozen=True)
class Quote:
    """A direct quotation, with its speaker and the speaker's affiliation as printed."""

    speaker: str | None
    affiliation: str | None
    text: str

    def to_json(self) -> dict[str, object]:
        """Return ``{"speaker", "affiliation", "text"}`` for JSON output."""
        return {"speaker": self.speaker, "affiliation": self.affiliation, "text": self.text}


@dataclass(frozen=True)
class ArticleDetails:
    """What reading found in an article besides its text: the names in it and its quotes.

    Empty until the article is read (and for articles read from their feed's text alone).
    Storage keeps it as JSON and decodes it once, when it loads the article.
    """

    canonical_url: str | None = None
    language: str | None = None
    people: tuple[str, ...] = ()
    organizations: tuple[Organization, ...] = ()
    places: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Return the stored JSON object (the same keys ``newsdesk extract`` uses)."""
        return {
            "canonical_url": self.canonical_url,
            "language": self.language,
            "people": list(self.people),
            "organizations": [organization.to_json() for organization in self.organizations],
            "places": list(self.places),
            "quotes": [quote.to_json() for quote in self.quotes],
        }


@dataclass(frozen=True)
class Article:
    """A stored article (global: one row per feed entry whatever the number of servers)."""

    id: int
    feed_id: int
    entry_key: str
    url: str | None
    title: str
    summary: str
    author: str | None
    image_url: str | None
    published_at: datetime | None
    first_seen_at: datetime
    url_key: str | None = None
    details: ArticleDetails = field(default_factory=ArticleDetails)
    text: str | None = None
    categories: tuple[str, ...] = ()
    """The feed's categories of the item, as it gives them."""


@dataclass(frozen=True)
class PreviewedArticle:
    """One recent article of a feed and what became of it in one channel (``/feed preview``)."""

    article: Article
    outbox_state: OutboxState | None
    failure: str | None
    message_id: int | None
    story_message_id: int | None
    """The post of the article's story in the channel, made from another article."""


class OutboxState(StrEnum):
    """Where one (article, channel) delivery stands."""

    WAITING = "waiting"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class UnreadArticle:
    """A stored article the reader has not looked at yet."""

    article: Article
    feed_title: str
    has_waiting_posts: bool
    # Attempts to read it so far (each counted as it began), and why the last one failed.
    read_attempts: int = 0
    read_failure: str | None = None


@dataclass(frozen=True)
class ArticleReading:
    """What reading an article found: clean text, true metadata, and its copy fingerprint."""

    title: str
    summary: str
    author: str | None
    published_at: datetime | None
    image_url: str | None
    original_url: str | None
    original_url_key: str | None
    original_publisher: str | None
    fingerprint: bytes | None
    details: ArticleDetails
    text: str = ""


@dataclass(frozen=True)
class AwaitingDesk:
    """An article a reader read, waiting for the story desk to decide it: the article as
    read (its title, text, details… are the reading's) and what else the reading found."""

    unread: UnreadArticle
    original_url: str | None
    original_publisher: str | None
    fingerprint: bytes | None


@dataclass(frozen=True)
class StorySource:
    """One article of a story, as its post and ``/story`` show it."""

    article_id: int
    title: str
    url: str | None
    url_key: str | None
    feed_title: str
    feed_site_url: str | None
    first_seen_at: datetime
    published_at: datetime | None
    original_url: str | None


@dataclass(frozen=True)
class Story:
    """A group of articles carrying the same news, with the original when it is known."""

    id: int
    original_url_key: str | None
    original_url: str | None
    original_publisher: str | None
    sources: tuple[StorySource, ...]

    @property
    def main(self) -> StorySource:
        """Return the article to link: the original when present, else the first seen."""
        for source in self.sources:
            if self.original_url_key is not None and source.url_key == self.original_url_key:
                return source
        return self.sources[0]


@dataclass(frozen=True)
class OutboxStatus:
    """Where one outbox row stands: its state, the message that carries it, or why it failed."""

    state: OutboxState
    message_id: int | None
    failure: str | None
    attempts: int


TEXT_CHANNEL = "text"
"""A channel kind: posts go to ``POST /channels/{id}/messages`` (text, news, threads)."""
FORUM_CHANNEL = "forum"
"""A channel kind: each post opens a thread (forum and media channels)."""


@dataclass(frozen=True)
class Delivery:
    """A claimed outbox row with everything needed to post it."""

    outbox_id: int
    guild_id: int
    channel_id: int
    subscription_id: int | None
    attempts: int
    article: Article
    feed_title: str
    feed_site_url: str | None
    story_id: int | None = None
    ping_role_id: int | None = None
    template: str | None = None
    feed_icon_url: str | None = None
    webhook: tuple[int, str] | None = None  # (webhook id, token) when posting through one
    send_began_at: datetime | None = None
    """When an earlier attempt that may have posted this row began (None: nothing was sent)."""
    forum_tag_id: int | None = None
    """The forum tag an admin chose for the subscription's posts (None: the default one)."""
    embed_style: str = "full"
    """How the post shows its article: ``full``, ``compact`` (title and link) or ``off``."""
    embed_colour: int | None = None
    """The colour of the embed's bar (None: Newsdesk's own)."""
    notify_button: bool = False
    """Whether the post carries a "Notify me" button giving or taking ``ping_role_id``."""
    feed_url: str | None = None
    """The address of the article's feed (for templates' ``{feed.url}``)."""
    channel_kind: str | None = None
    """``text`` or ``forum``, as recorded when the subscription or follow was made (None:
    made before kinds were recorded; the sender looks the channel up)."""
    stopped: bool = False
    """Its subscription was disabled or removed, or its follow removed, after the row was
    queued (a poll's transaction running beside the stop): it is not to be posted."""


@dataclass(frozen=True)
class PostRefresh:
    """A sent post whose story gained a source (or its original): re-render and edit it."""

    outbox_id: int
    guild_id: int
    channel_id: int
    message_id: int
    story_id: int
    article_id: int
    card_digest: str | None = None
    """The digest of the card the post shows (``card_digest``), if known."""
    template: str | None = None
    """The subscription's template (it decides whether the embed shows the summary)."""
    embed_style: str = "full"
    embed_colour: int | None = None


@dataclass(frozen=True)
class CardField:
    """One labelled line of an article card."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class ArticleCard:
    """What a post shows under its text, already within Discord's limits.

    The Discord edge renders it as an embed (``bot.discord_io.embeds.card_embed``); the
    pipeline builds it without knowing about discord.py.
    """

    title: str
    url: str | None
    description: str | None
    timestamp: datetime | None
    author_name: str
    author_url: str | None
    fields: tuple[CardField, ...] = ()
    footer: str | None = None
    image_url: str | None = None
    colour: int | None = None
    """The colour of the embed's bar (None: Newsdesk's own)."""
    embedded: bool = True
    """False when the subscription posts text only: the post carries no embed."""
