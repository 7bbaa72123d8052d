"""Reading the news: an article's quotes (the Quotes button), ``/quotes`` by a person, and
``/summarize`` for any address."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.core.errors import InvalidInput, NotAllowed, NotFound
from bot.core.models import Article, Quote
from bot.core.text import join_within_limit, trim_text
from bot.core.urls import is_web_url, pasted_address
from bot.discord_io import markup
from bot.features.feeds.discovery import looks_like_html
from bot.features.on_demand import SUMMARIZE_LIMITS, OnDemandBudget, OnDemandLimits
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.read.extraction import ExtractedArticle
from bot.pipeline.read.extraction.names import speaker_matches
from bot.pipeline.read.page_reading import read_page_in_pool
from bot.pipeline.story.credits import link_text, publisher_name
from bot.pipeline.story.lead import story_lead
from bot.pipeline.story.story_quotes import QuoteSource, StoryQuote, merge_quotes
from bot.pipeline.worker_pool import WorkerPool
from storage import Repositories

MAX_QUOTES = 8
MAX_NAMES = 10
QUOTE_SEARCH_DAYS = 30
QUOTE_SEARCH_ARTICLES = 500
SUMMARIZE_IN_SERVERS_ONLY = (
    "/summarize works inside a server, not in direct messages: use it in a channel of a "
    "server Newsdesk is in."
)


def quote_line(quote: Quote) -> str:
    """Render one quotation with its speaker and affiliation."""
    who = quote.speaker or "Unattributed"
    if quote.affiliation:
        who = f"{who}, {quote.affiliation}"
    return f"> “{trim_text(quote.text, 400)}”\n— {trim_text(who, 200)}"


def describe_quotes(title: str, quotes: Sequence[Quote]) -> str:
    """List an article's quotations, as many as fit one message."""
    if not quotes:
        return f"**{trim_text(title, 200)}** has no direct quotations."
    blocks = [f"Quotes in **{trim_text(title, 200)}**:"]
    blocks += [quote_line(quote) for quote in quotes[:MAX_QUOTES]]
    return join_within_limit(blocks, "\n\n")


def describe_story_quotes(title: str, quotes: Sequence[StoryQuote]) -> str:
    """List a story's quotations once each, naming every source that carried one when the
    story has more than one source (the Quotes button)."""
    if not quotes:
        return f"**{trim_text(title, 200)}** has no direct quotations."
    several = len({source for quote in quotes for source in quote.sources}) > 1
    blocks = [f"Quotes in **{trim_text(title, 200)}**:"]
    for quote in quotes[:MAX_QUOTES]:
        line = quote_line(quote.quote)
        if several:
            names = ", ".join(trim_text(source.name, 80) for source in quote.sources)
            line = f"{line} · {names}"
        blocks.append(line)
    return join_within_limit(blocks, "\n\n")


def quote_sources_text(sources: Sequence[QuoteSource], fallback: str) -> str:
    """Return where a quotation was carried: its one link, or each source's name linked."""
    if len(sources) == 1:
        url = sources[0].url
        return f"<{url}>" if url else fallback
    return ", ".join(
        f"[{link_text(trim_text(source.name, 80))}](<{source.url}>)"
        if is_web_url(source.url)
        else trim_text(source.name, 80)
        for source in sources
    )


def describe_extracted(url: str, article: ExtractedArticle) -> str:
    """Render ``/summarize``: summary, who is in it, and what they said."""
    blocks = [f"**{trim_text(article.title or url, 200)}**"]
    facts = []
    if article.original_publisher and article.original_url:
        publisher = publisher_name(article.original_publisher, article.original_url)
        facts.append(
            f"Originally published by [{link_text(trim_text(publisher, 80))}]"
            f"(<{article.original_url}>)" if is_web_url(article.original_url)
            else f"Originally published by {trim_text(publisher, 80)}"
        )
    if article.published:
        facts.append(f"Published {markup.date_time(article.published)}")
    if facts:
        blocks.append(" · ".join(facts))
    blocks.append(article.summary or "Newsdesk found no article text on that page.")
    if article.people:
        blocks.append("**People:** " + ", ".join(article.people[:MAX_NAMES]))
    if article.organizations:
        names = [
            f"{org.name} ({', '.join(org.aliases)})" if org.aliases else org.name
            for org in article.organizations[:MAX_NAMES]
        ]
        blocks.append("**Organisations:** " + ", ".join(names))
    if article.places:
        blocks.append("**Places:** " + ", ".join(article.places[:MAX_NAMES]))
    blocks += [quote_line(quote) for quote in article.quotes[:MAX_QUOTES]]
    return join_within_limit(blocks, "\n\n")


class ReadingService:
    """What members read through Newsdesk beyond the posts themselves."""

    def __init__(
        self,
        repositories: Repositories,
        fetcher: Fetcher,
        clock: Callable[[], datetime],
        pool: WorkerPool,
        *,
        summarize_limits: OnDemandLimits = SUMMARIZE_LIMITS,
    ) -> None:
        self._repos = repositories
        self._fetcher = fetcher.on_demand
        self._clock = clock
        self._summarize_budget = OnDemandBudget("/summarize", summarize_limits, clock)
        # Members' pages take at most all workers but one: the reader (every server's posts)
        # and the feed parser always keep a worker, however many /summarize wait.
        self._pool = pool.share(pool.size - 1)

    async def quotes_of_article(self, guild_id: int, article_id: int) -> str:
        """Describe the quotes of an article one of the server's feeds carried.

        Raises:
            NotFound: no feed of this server carried that article.
        """
        article = await self._repos.articles.get_for_guild(guild_id, article_id)
        if article is None:
            raise NotFound("That article is not from a feed this server follows.")
        title, quotes = await self._story_quotes(guild_id, article)
        return describe_story_quotes(title, quotes)

    async def _story_quotes(self, guild_id: int, article: Article) -> tuple[str, list[StoryQuote]]:
        """Return the title of an article's story and its quotes, merged across the sources
        the server follows, in the lead's wording (``bot.pipeline.story.story_quotes``)."""
        story_id = await self._repos.stories.story_of(article.id)
        story = (
            await self._repos.stories.story(guild_id, story_id) if story_id is not None else None
        )
        if story is None:
            return article.title, merge_quotes(
                [(QuoteSource(article.title, article.url), article.details.quotes)]
            )
        lead = await story_lead(self._repos, story)
        carried: list[tuple[QuoteSource, Sequence[Quote]]] = []
        for source in (lead.source, *story.sources):
            if source is not lead.source and source.article_id == lead.article_id:
                continue
            found = (
                article
                if source.article_id == article.id
                else await self._repos.articles.get_for_guild(guild_id, source.article_id)
            )
            if found is not None:
                carried.append((QuoteSource(source.feed_title, source.url), found.details.quotes))
        return lead.source.title, merge_quotes(carried)

    async def recent_quotes(self, guild_id: int, who: str) -> str:
        """List recent quotations by a person (or, failing that, about a topic), with links.

        Raises:
            InvalidInput: no name was given.
        """
        wanted = " ".join(who.split()).casefold()
        if not wanted:
            raise InvalidInput("Name a person (or a topic) to find quotes for.")
        articles = await self._repos.articles.recent_with_quotes(
            guild_id, self._clock() - timedelta(days=QUOTE_SEARCH_DAYS), QUOTE_SEARCH_ARTICLES
        )
        by_speaker: list[str] = []
        about: list[str] = []
        for title, quotes in await self._merged_by_story(guild_id, articles):
            for merged in quotes:
                quote = merged.quote
                line = f"{quote_line(quote)} · {quote_sources_text(merged.sources, title)}"
                if speaker_matches(who, quote.speaker):
                    by_speaker.append(line)
                elif wanted in quote.text.casefold():
                    about.append(line)
        found = by_speaker or about
        if not found:
            return (
                f"No quotes by or about **{trim_text(who, 100)}** in this server's articles of "
                f"the last {QUOTE_SEARCH_DAYS} days."
            )
        heading = "by" if by_speaker else "about"
        return join_within_limit(
            [f"Recent quotes {heading} **{trim_text(who, 100)}**:", *found[:MAX_QUOTES]], "\n\n"
        )

    async def _merged_by_story(
        self, guild_id: int, articles: Sequence[tuple[Article, str]]
    ) -> list[tuple[str, list[StoryQuote]]]:
        """Return the quotes of these articles (newest first) merged per story: each story
        once, where its newest article stood, its quotations once each in the wording of the
        story's lead (when the lead is among them)."""
        story_ids = await self._repos.stories.story_ids([article.id for article, _ in articles])
        groups: dict[int | str, list[tuple[Article, str]]] = {}
        for article, feed_title in articles:
            key = story_ids.get(article.id, f"article {article.id}")
            groups.setdefault(key, []).append((article, feed_title))
        merged: list[tuple[str, list[StoryQuote]]] = []
        for key, found in groups.items():
            members = found
            if isinstance(key, int) and len(found) > 1:
                story = await self._repos.stories.story(guild_id, key)
                if story is not None:
                    lead = await story_lead(self._repos, story)
                    leading = [m for m in found if m[0].id == lead.article_id]
                    members = leading + [m for m in found if m[0].id != lead.article_id]
            carried = [
                (QuoteSource(feed_title, article.url), article.details.quotes)
                for article, feed_title in members
            ]
            merged.append((trim_text(members[0][0].title, 80), merge_quotes(carried)))
        return merged

    async def summarize(self, url: str, *, guild_id: int | None, member_id: int) -> str:
        """Fetch any article address and describe its clean article (``/summarize``), within
        the member's and the server's allowances and the on-demand fetch slots.

        The page is read like the reader reads one: its first 300 KB, in the worker pool,
        within the pool's deadline.

        Raises:
            NotAllowed: asked outside a server (a direct message).
            LimitReached: the member or the server summarised too often lately.
            InvalidInput: the text is not a web address, or the page is not HTML.
            FetchError: the page could not be fetched.
            PageNotRead: the page was not read within the deadline.
        """
        if guild_id is None:
            raise NotAllowed(SUMMARIZE_IN_SERVERS_ONLY)
        address = pasted_address(url)
        self._summarize_budget.claim(guild_id, member_id)
        result = await self._fetcher.fetch(address)
        if not looks_like_html(result.body, result.content_type):
            raise InvalidInput("That address is not a web page Newsdesk can read as an article.")
        reading = await read_page_in_pool(self._pool, result.body, url=result.url)
        return describe_extracted(address, reading.article)
