"""Full-text search over the articles a server's feeds brought in (``/search``).

Rules: the words a person types are matched as words (each must appear), a part in double
quotes as a phrase; FTS5's own query syntax is never exposed, so no input can break the
query. Results are ranked by BM25 (title, summary and text), limited to the server's feeds,
optionally to one of its subscriptions and to the last N days, ``PAGE_SIZE`` per page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import InvalidInput, NotFound
from bot.formatting import discord_timestamp, join_within_limit, trim_text
from bot.models import SearchHit
from storage import Repositories

PAGE_SIZE = 5
COUNT_CAP = 1000  # beyond this a total reads "1000+": counting every match costs too much
MAX_TERMS = 12
_PHRASE_OR_WORD = re.compile(r'"([^"]+)"|(\S+)')
_WORD_CHARACTERS = re.compile(r"[\w'’-]+")


def fts_query(text: str) -> str:
    """Turn typed words and "quoted phrases" into a safe FTS5 query (all must match).

    Raises:
        InvalidInput: nothing searchable was typed.
    """
    parts: list[str] = []
    for phrase, word in _PHRASE_OR_WORD.findall(text):
        tokens = _WORD_CHARACTERS.findall(phrase or word)
        if tokens:
            parts.append('"' + " ".join(tokens).replace('"', '""') + '"')
    if not parts:
        raise InvalidInput("Type at least one word to search for.")
    return " ".join(parts[:MAX_TERMS])


@dataclass(frozen=True)
class SearchPage:
    """One page of results."""

    query: str
    total: int
    page: int
    hits: list[SearchHit]

    @property
    def pages(self) -> int:
        """Return how many pages the results fill."""
        return max(1, -(-self.total // PAGE_SIZE))


class SearchService:
    """Searches one server's articles."""

    def __init__(self, repositories: Repositories, clock: Callable[[], datetime]) -> None:
        self._repos = repositories
        self._clock = clock

    async def search(
        self, guild_id: int, text: str, *, subscription: int | None = None,
        days: int | None = None, page: int = 1,
    ) -> SearchPage:
        """Return one page of the server's articles matching ``text``.

        Raises:
            InvalidInput: nothing searchable was typed.
            NotFound: the subscription is not this server's.
        """
        query = fts_query(text)
        feed_id = None
        if subscription is not None:
            view = await self._repos.subscriptions.get(guild_id, subscription)
            if view is None:
                raise NotFound(
                    f"This server has no subscription #{subscription}. Use /feed list."
                )
            feed_id = view.subscription.feed_id
        since = self._clock() - timedelta(days=days) if days else None
        total, hits = await self._repos.articles.search(
            guild_id, query, feed_id=feed_id, since=since, limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE, count_cap=COUNT_CAP,
        )
        return SearchPage(text.strip(), total, page, hits)


def describe_search_page(result: SearchPage) -> str:
    """Render a page of results with snippets."""
    if result.total == 0:
        return f"Nothing in this server's feeds matches **{trim_text(result.query, 100)}**."
    shown = f"{result.total}+" if result.total >= COUNT_CAP else str(result.total)
    blocks = [
        f"**{shown}** article{'s' if result.total != 1 else ''} match "
        f"**{trim_text(result.query, 100)}** (page {result.page} of {result.pages}):"
    ]
    for hit in result.hits:
        when = hit.article.published_at or hit.article.first_seen_at
        title = trim_text(hit.article.title, 150)
        link = f"[{title}](<{hit.article.url}>)" if hit.article.url else f"**{title}**"
        blocks.append(
            f"{link} — {trim_text(hit.feed_title, 60)}, {discord_timestamp(when)}\n"
            f"> {trim_text(' '.join(hit.snippet.split()), 280)}"
        )
    return join_within_limit(blocks, "\n\n")
