"""Importing an OPML file: subscribe each listed feed to a channel and report every URL.

Rules: every feed goes through the same validation as ``/feed add`` (fetched and parsed,
nothing old posted; an outline giving only its site's address has its feed found there);
feeds are checked a few at a time; each URL ends up added, skipped (already followed there)
or failed (with the reason in plain words), and an outline with no address at all is
reported as failed too; each line keeps the title and folder the file gave the feed; once
the server's feed limit is reached the rest fail with that reason without being fetched.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.core.errors import LimitReached, UserError
from bot.features.feeds.discovery import SeveralFeedsFound
from bot.features.feeds.opml import OpmlFeed, read_opml_contents
from bot.features.feeds.subscriptions import SubscriptionService

CONCURRENT_CHECKS = 4
Outcome = Literal["added", "skipped", "failed"]
Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class ImportedFeed:
    """What happened to one URL of the file."""

    url: str
    outcome: Outcome
    detail: str


@dataclass
class ImportReport:
    """Every URL's outcome, in file order."""

    lines: list[ImportedFeed] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """Return how many URLs ended with ``outcome``."""
        return Counter(line.outcome for line in self.lines)[outcome]

    def as_text(self) -> str:
        """Return the full report, one line per URL."""
        return "\n".join(f"{line.outcome}: {line.url} — {line.detail}" for line in self.lines)


async def import_opml(
    service: SubscriptionService,
    guild_id: int,
    channel_id: int,
    data: bytes,
    *,
    added_by: int,
    progress: Progress | None = None,
    channel_kind: str | None = None,
) -> ImportReport:
    """Subscribe ``channel_id`` (of ``channel_kind``) to every feed in an OPML document.

    Raises:
        InvalidInput: the file is not usable OPML.
    """
    contents = read_opml_contents(data)
    feeds = contents.feeds
    results: list[ImportedFeed | None] = [None] * len(feeds)
    limit = asyncio.Semaphore(CONCURRENT_CHECKS)
    limit_reached: list[str] = []
    done = 0

    async def one(position: int, feed: OpmlFeed) -> None:
        nonlocal done
        async with limit:
            results[position] = await _import_one(
                service, guild_id, channel_id, feed, added_by=added_by,
                limit_reached=limit_reached, channel_kind=channel_kind,
            )
        done += 1
        if progress is not None:
            await progress(done, len(feeds))

    await asyncio.gather(*(one(position, feed) for position, feed in enumerate(feeds)))
    unusable = [
        ImportedFeed(title, "failed", "the outline gives no address (no xmlUrl or htmlUrl)")
        for title in contents.without_address
    ]
    return ImportReport([line for line in results if line is not None] + unusable)


async def _import_one(
    service: SubscriptionService, guild_id: int, channel_id: int, feed: OpmlFeed, *,
    added_by: int, limit_reached: list[str], channel_kind: str | None,
) -> ImportedFeed:
    url = feed.url
    if limit_reached:
        return ImportedFeed(url, "failed", limit_reached[0])
    try:
        added = await service.add(
            guild_id, channel_id, url, added_by=added_by, by_hand=False,
            channel_kind=channel_kind,
        )
    except SeveralFeedsFound as several:
        detail = f"the page offers {len(several.candidates)} feeds; add the one you want by hand"
        return ImportedFeed(url, "failed", detail)
    except LimitReached as error:
        limit_reached.append(error.message)
        return ImportedFeed(url, "failed", error.message)
    except UserError as error:
        return ImportedFeed(url, "failed", error.message)
    if added.already_existed:
        return ImportedFeed(
            url, "skipped", "already followed in that channel" + _listed(feed, added.feed_title)
        )
    found = " (found on its site: the outline had no xmlUrl)" if feed.from_site else ""
    return ImportedFeed(url, "added", added.feed_title + found + _listed(feed, added.feed_title))


def _listed(feed: OpmlFeed, feed_title: str) -> str:
    """Say the title and folder the file gave a feed, when they add something."""
    parts = []
    if feed.title and feed.title.casefold() != feed_title.casefold():
        parts.append(f"listed as “{feed.title}”")
    if feed.category:
        parts.append(f"in folder “{feed.category}”")
    return f" · {' '.join(parts)}" if parts else ""
