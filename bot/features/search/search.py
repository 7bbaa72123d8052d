"""Full-text search over the articles a server's feeds brought in (``/search``).

Rules:
- The words a person types are matched as words (each must appear), a part in double quotes
  as a phrase; FTS5's own query syntax is never exposed, so no input can break the query.
- Results are limited to the server's feeds, optionally to one of its subscriptions and to
  the last N days (by published time, else first-seen time), ``PAGE_SIZE`` per page.
- Ranking is BM25 over title, summary and text; equal scores go newest first. When more than
  ``COUNT_CAP`` of the server's articles match, only the ``COUNT_CAP`` newest matches are
  ranked (and the total reads "1000+"): ranking every match of a very common word costs
  more than a command may wait, and a person paging through results reads recent news.
- A typed word found in more than half of the newest ``COMMON_SAMPLE`` articles is too
  common to help: BM25 gives it no weight, and it would match nearly everything. It is left
  out of a query that has other words or phrases (the reply names it); a query made only of
  such words keeps them all and lists its matches newest first. Words inside quotes always
  count. Until ``COMMON_SAMPLE`` articles are stored, every word counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.errors import InvalidInput, NoSuchSubscription
from bot.core.models import SearchHit
from bot.core.text import MESSAGE_LIMIT, plural, trim_text
from bot.discord_io import markup
from storage import Repositories

PAGE_SIZE = 5
COUNT_CAP = 1000  # totals count up to this ("1000+"), and only this many newest are ranked
COMMON_SAMPLE = 1000
COMMON_SHARE = 0.5  # above this share of articles, BM25's IDF for a word is zero (FTS5)
MAX_TERMS = 12
_SNIPPET_FLOOR = 40  # a shorter snippet says nothing; drop it
_PHRASE_OR_WORD = re.compile(r'"([^"]+)"|(\S+)')
_WORD_CHARACTERS = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class SearchTerm:
    """A typed word, or a quoted phrase, as the words it matches."""

    text: str
    quoted: bool

    @property
    def fts(self) -> str:
        """Return the term as an FTS5 phrase (a string, so no operator inside it acts)."""
        return '"' + self.text.replace('"', '""') + '"'


def read_terms(text: str) -> list[SearchTerm]:
    """Read typed words and "quoted phrases", at most ``MAX_TERMS`` of them.

    Raises:
        InvalidInput: nothing searchable was typed.
    """
    terms: list[SearchTerm] = []
    for phrase, word in _PHRASE_OR_WORD.findall(text):
        tokens = _WORD_CHARACTERS.findall(phrase or word)
        if tokens:
            terms.append(SearchTerm(" ".join(tokens), bool(phrase)))
    if not terms:
        raise InvalidInput("Type at least one word to search for.")
    return terms[:MAX_TERMS]


def fts_query(text: str) -> str:
    """Turn typed words and "quoted phrases" into a safe FTS5 query (all must match).

    Raises:
        InvalidInput: nothing searchable was typed.
    """
    return " ".join(term.fts for term in read_terms(text))


@dataclass(frozen=True)
class SearchExclusions:
    """What a filtered search with no result would have found without its filters."""

    feed_title: str | None
    days: int | None
    older: int | None
    """Matches in the subscription (or server) before the last ``days`` (None: no days)."""
    elsewhere: int | None
    """Matches in the server's other feeds in the period (None: no subscription filter)."""


@dataclass(frozen=True)
class SearchPage:
    """One page of results, with what the search left out or how it ordered them."""

    query: str
    total: int
    page: int
    hits: list[SearchHit]
    left_out: tuple[str, ...] = ()
    newest_first: bool = False
    excluded: SearchExclusions | None = None
    """With no result under a subscription or days filter: what the filters left out."""

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
        terms = read_terms(text)
        feed_id, feed_title = None, None
        if subscription is not None:
            summary = await self._repos.subscriptions.get(guild_id, subscription)
            if summary is None:
                raise NoSuchSubscription(subscription)
            feed_id, feed_title = summary.subscription.feed_id, summary.feed_title
        common = await self._common_words(terms)
        kept = [term for term in terms if term not in common]
        query = " ".join(term.fts for term in kept or terms)
        since = self._clock() - timedelta(days=days) if days else None
        total, hits = await self._repos.articles.search(
            guild_id, query, ranked=bool(kept), feed_id=feed_id, since=since, limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE, window=COUNT_CAP,
        )
        excluded = None
        if total == 0 and (feed_id is not None or since is not None):
            excluded = SearchExclusions(
                feed_title, days,
                older=await self._count(guild_id, query, feed_id, None) if since else None,
                elsewhere=(
                    await self._count(guild_id, query, None, since) if feed_id else None
                ),
            )
        left_out = tuple(dict.fromkeys(term.text for term in terms if term in common))
        return SearchPage(
            text.strip(), total, page, hits, left_out=left_out if kept else (),
            newest_first=not kept, excluded=excluded,
        )

    async def _count(
        self, guild_id: int, query: str, feed_id: int | None, since: datetime | None
    ) -> int:
        """Count the server's matches of ``query`` under other filters (up to ``COUNT_CAP``)."""
        total, _ = await self._repos.articles.search(
            guild_id, query, ranked=False, feed_id=feed_id, since=since, limit=1, offset=0,
            window=COUNT_CAP,
        )
        return total

    async def _common_words(self, terms: list[SearchTerm]) -> set[SearchTerm]:
        """Return the typed (unquoted) words found in most recent articles."""
        words = list(dict.fromkeys(term for term in terms if not term.quoted))
        shares = await self._repos.articles.common_shares(
            [word.fts for word in words], COMMON_SAMPLE
        )
        if shares is None:
            return set()
        return {word for word, share in zip(words, shares, strict=True) if share > COMMON_SHARE}


def describe_exclusions(query: str, excluded: SearchExclusions) -> str:
    """Say that a filtered search found nothing, and what its filters left out."""
    where = f" in **{trim_text(excluded.feed_title, 80)}**" if excluded.feed_title else ""
    when = ""
    if excluded.days:
        when = " in the last day" if excluded.days == 1 else f" in the last {excluded.days} days"
    found: list[str] = []
    if excluded.older:
        found.append(f"{plural(excluded.older, 'older match', 'older matches')}")
    if excluded.elsewhere:
        found.append(
            f"{plural(excluded.elsewhere, 'match', 'matches')} in the server's other feeds"
        )
    if not found:
        return (
            f"No match for **{trim_text(query, 100)}**{where}{when}, and none outside "
            "these filters either."
        )
    return (
        f"No match for **{trim_text(query, 100)}**{where}{when} ({'; '.join(found)}: "
        "widen the search to see them)."
    )


def describe_search_page(result: SearchPage) -> str:
    """Render a page of results with snippets."""
    if result.total == 0 and result.excluded is not None:
        return describe_exclusions(result.query, result.excluded)
    if result.total == 0:
        query = markup.literal(trim_text(result.query, 100))
        return f"Nothing in this server's feeds matches **{query}**."
    capped = result.total >= COUNT_CAP
    shown = f"{result.total}+" if capped else str(result.total)
    header = (
        f"**{shown}** {'article matches' if result.total == 1 else 'articles match'} "
        f"**{markup.literal(trim_text(result.query, 100))}** (page {result.page} of "
        f"{result.pages}):"
    )
    notes: list[str] = []
    if result.left_out:
        notes.append(
            "Left out as too common (in most articles): "
            + trim_text(", ".join(result.left_out), 150) + "."
        )
    if result.newest_first:
        notes.append("Every word is in most articles, so the newest matches come first.")
    elif capped:
        notes.append(f"Ranked among the {COUNT_CAP} newest matches.")
    if notes:
        header += "\n*" + " ".join(notes) + "*"
    return "\n\n".join([header, *_hit_blocks(result.hits, MESSAGE_LIMIT - len(header))])


def _hit_blocks(hits: list[SearchHit], room: int) -> list[str]:
    """Render each hit within an equal share of ``room``, so a whole page always fits.

    A long address gives way first (the title is then shown unlinked), then the snippet
    shrinks: every result of the page is shown, none is cut off into "…and 1 more".
    """
    share = (room - 2 * len(hits)) // max(1, len(hits))
    blocks: list[str] = []
    for hit in hits:
        when = hit.article.published_at or hit.article.first_seen_at
        # Titles and snippets are a publisher's text: escaped, they cannot add a masked link
        # ([Free Nitro](https://…)) or a mention to the reply.
        title = markup.literal(trim_text(hit.article.title, 150))
        where = f" — {markup.literal(trim_text(hit.feed_title, 60))}, {markup.moment(when)}"
        url = hit.article.url.replace(">", "%3E") if hit.article.url else None
        link = f"[{title}](<{url}>)" if url else f"**{title}**"
        if len(link) + len(where) > share - _SNIPPET_FLOOR:
            short = trim_text(hit.article.title, max(10, share - len(where) - _SNIPPET_FLOOR - 4))
            link = f"**{markup.literal(short)}**"
        room_for_snippet = min(280, share - len(link) - len(where) - 3)
        snippet = " ".join(hit.snippet.split())
        block = link + where
        if snippet and room_for_snippet >= _SNIPPET_FLOOR:
            block += f"\n> {markup.unlinked(trim_text(snippet, room_for_snippet))}"
        blocks.append(block)
    return blocks
