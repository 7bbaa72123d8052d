"""Persistence: the one ``Database`` and its repositories. Every SQL string lives here."""

from __future__ import annotations

from dataclasses import dataclass

from storage.articles import ArticleRepository
from storage.database import Database
from storage.digests import DigestRepository
from storage.feeds import FeedRepository
from storage.follows import FollowRepository
from storage.notices import NoticeRepository
from storage.outbox import OutboxRepository
from storage.poll_buckets import PollBucketRepository
from storage.server_preferences import ServerPreferencesRepository
from storage.stories import StoryRepository
from storage.subscriptions import SubscriptionRepository


@dataclass(frozen=True)
class Repositories:
    """Every repository over one database, built once at start-up."""

    database: Database
    feeds: FeedRepository
    subscriptions: SubscriptionRepository
    articles: ArticleRepository
    outbox: OutboxRepository
    notices: NoticeRepository
    server_preferences: ServerPreferencesRepository
    stories: StoryRepository
    follows: FollowRepository
    digests: DigestRepository
    poll_buckets: PollBucketRepository
    """Host bucket leases: PostgreSQL only (pollers ×N)."""

    @classmethod
    def over(cls, database: Database) -> Repositories:
        """Build the repositories that share ``database``."""
        return cls(
            database=database,
            feeds=FeedRepository(database),
            subscriptions=SubscriptionRepository(database),
            articles=ArticleRepository(database),
            outbox=OutboxRepository(database),
            notices=NoticeRepository(database),
            server_preferences=ServerPreferencesRepository(database),
            stories=StoryRepository(database),
            follows=FollowRepository(database),
            digests=DigestRepository(database),
            poll_buckets=PollBucketRepository(database),
        )


__all__ = ["Database", "Repositories"]
