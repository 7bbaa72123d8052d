"""Digests: the top stories of the past day or week, posted on a schedule or on demand.

Rules:
- Stories rank by how many of the server's sources carried them, then by how many of its
  follows they matched, then by recency; a digest lists at most ``DIGEST_STORIES``.
- Schedules are in the server's chosen time zone (IANA names such as ``Europe/Berlin``); a
  daily digest runs every day at that local time, a weekly one on its weekday.
- Sending is durable: the digest is queued as a message and its schedule moved on in one
  transaction, so a restart never sends it twice and never skips it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import InvalidInput
from bot.core.models import DigestSchedule
from bot.core.text import (
    join_within_limit,
    plural,
    split_into_pages,
    trim_text,
    trim_to_sentence,
)
from bot.pipeline.story.credits import story_credits
from storage import Repositories
from storage.leases import Fence

log = logging.getLogger(__name__)

DIGEST_STORIES = 8
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")


def parse_time_of_day(text: str) -> int:
    """Read "08:30" (or "8.30", "8h30") into minutes after midnight.

    Raises:
        InvalidInput: the text is not a time of day.
    """
    match = _TIME.match(text.strip())
    if match is None:
        raise InvalidInput("Give the time as HH:MM in 24-hour form, for example 08:30.")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_timezone(name: str) -> ZoneInfo:
    """Return the time zone named ``name``.

    Raises:
        InvalidInput: no such time zone.
    """
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"{name!r} is not a time zone Newsdesk knows. Use a name such as Europe/Berlin, "
            "America/New_York or UTC."
        ) from None


def next_run(
    frequency: str, weekday: int | None, at_minute: int, zone: ZoneInfo, after: datetime
) -> datetime:
    """Return the first scheduled moment strictly after ``after`` (aware, UTC)."""
    local = after.astimezone(zone)
    candidate = local.replace(
        hour=at_minute // 60, minute=at_minute % 60, second=0, microsecond=0
    )
    for _ in range(9):
        good_day = frequency == "daily" or candidate.weekday() == weekday
        if good_day and candidate > local:
            return candidate.astimezone(ZoneInfo("UTC"))
        candidate = (candidate + timedelta(days=1)).replace(
            hour=at_minute // 60, minute=at_minute % 60
        )
    raise AssertionError("a daily or weekly time always recurs within eight days")


class DigestService:
    """Schedules, composes and sends digests."""

    def __init__(self, repositories: Repositories, clock: Callable[[], datetime]) -> None:
        self._repos = repositories
        self._clock = clock

    async def schedule(
        self, guild_id: int, channel_id: int, *, frequency: str, time_of_day: str,
        timezone: str, weekday: str | None, created_by: int,
    ) -> DigestSchedule:
        """Schedule (or reschedule) a channel's digest.

        Raises:
            InvalidInput: the time, time zone or weekday cannot be used.
        """
        at_minute = parse_time_of_day(time_of_day)
        zone = parse_timezone(timezone)
        day: int | None = None
        if frequency == "weekly":
            if weekday is None:
                raise InvalidInput("A weekly digest needs a weekday, for example monday.")
            day = WEEKDAYS.index(weekday)
        now = self._clock()
        return await self._repos.digests.schedule(
            guild_id, channel_id, frequency=frequency, weekday=day, at_minute=at_minute,
            timezone=zone.key, next_run_at=next_run(frequency, day, at_minute, zone, now),
            created_by=created_by, now=now,
        )

    async def list_schedules(self, guild_id: int) -> list[DigestSchedule]:
        """Return the server's digest schedules."""
        return await self._repos.digests.list_for_guild(guild_id)

    async def stop(self, guild_id: int, channel_id: int) -> bool:
        """Stop a channel's digest; return whether there was one."""
        return await self._repos.digests.remove(guild_id, channel_id)

    async def compose(self, guild_id: int, days: int) -> str | None:
        """Write the digest of the last ``days`` days as one message, or None when nothing
        happened."""
        parts = await self._compose_parts(guild_id, days)
        return join_within_limit([parts[0], *parts[1]], "\n\n") if parts else None

    async def compose_pages(self, guild_id: int, days: int) -> list[str]:
        """Write the digest of the last ``days`` days in pages that each fit one message
        (empty when nothing happened)."""
        parts = await self._compose_parts(guild_id, days)
        return split_into_pages(parts[0], parts[1], "\n\n") if parts else []

    async def _compose_parts(self, guild_id: int, days: int) -> tuple[str, list[str]] | None:
        """Return the digest's heading and one block per story, or None when nothing
        happened."""
        since = self._clock() - timedelta(days=days)
        ranked = await self._repos.digests.top_stories(guild_id, since, DIGEST_STORIES)
        blocks: list[str] = []
        for position, (story_id, sources, follows) in enumerate(ranked, start=1):
            story = await self._repos.stories.story(guild_id, story_id)
            if story is None:
                continue
            main = story.main
            found = await self._repos.articles.get_with_feed(main.article_id)
            summary = trim_to_sentence(found[0].summary, 220) if found else ""
            credits = story_credits(story, main.article_id)
            outlets = [main.feed_title, *credits.also_reported_by]
            more = f" and {credits.more_count} more" if credits.more_count else ""
            title = trim_text(main.title, 150)
            link = f"[{title}](<{main.url}>)" if main.url else f"**{title}**"
            matched = f" · matched {plural(follows, 'follow')}" if follows else ""
            blocks.append(
                f"**{position}.** {link}\n{summary}\n"
                f"*{plural(sources, 'source')}: "
                f"{', '.join(outlets)}{more}{matched}*"
            )
        if not blocks:
            return None
        period = "day" if days == 1 else f"{days} days"
        return f"📰 **Top stories of the past {period}**", blocks

    async def run_due(self, fence: Fence | None = None) -> int:
        """Send every digest whose time has come; return how many were queued.

        ``fence`` is the story desk's lease when the desk runs in processes of its own.

        Raises:
            LeadershipLost: another desk leads now.
        """
        now = self._clock()
        queued = 0
        for digest in await self._repos.digests.due(now):
            days = 1 if digest.frequency == "daily" else 7
            try:
                text = await self.compose(digest.guild_id, days)
            except Exception:
                log.exception("digest failed guild_id=%s channel_id=%s",
                              digest.guild_id, digest.channel_id)
                text = None
            following = next_run(
                digest.frequency, digest.weekday, digest.at_minute, ZoneInfo(digest.timezone),
                now,
            )
            await self._repos.digests.record_run(
                digest, text, next_run_at=following, now=now, fence=fence
            )
            queued += text is not None
        return queued
