"""Reading the news: an article's quotes (the Quotes button), ``/quotes`` by a person, and
``/summarize`` for any address."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.core.errors import InvalidInput, NotAllowed, NotFound
from bot.core.models import Quote
from bot.core.text import join_within_limit, trim_text
from bot.core.urls import pasted_address
from bot.discord_io import markup
from bot.features.feeds.discovery import looks_like_html
from bot.features.on_demand import SUMMARIZE_LIMITS, OnDemandBudget, OnDemandLimits
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.read.extraction import ExtractedArticle, extract_article_off_loop
from bot.pipeline.story.credits import publisher_name
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


def describe_extracted(url: str, article: ExtractedArticle) -> str:
    """Render ``/summarize``: summary, who is in it, and what they said."""
    blocks = [f"**{trim_text(article.title or url, 200)}**"]
    facts = []
    if article.original_publisher and article.original_url:
        publisher = publisher_name(article.original_publisher, article.original_url)
        facts.append(f"Originally published by {publisher} <{article.original_url}>")
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
        *,
        summarize_limits: OnDemandLimits = SUMMARIZE_LIMITS,
    ) -> None:
        self._repos = repositories
        self._fetcher = fetcher.on_demand
        self._clock = clock
        self._summarize_budget = OnDemandBudget("/summarize", summarize_limits, clock)

    async def quotes_of_article(self, guild_id: int, article_id: int) -> str:
        """Describe the quotes of an article one of the server's feeds carried.

        Raises:
            NotFound: no feed of this server carried that article.
        """
        article = await self._repos.articles.get_for_guild(guild_id, article_id)
        if article is None:
            raise NotFound("That article is not from a feed this server follows.")
        return describe_quotes(article.title, article.details.quotes)

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
        for article, _feed_title in articles:
            where = f"<{article.url}>" if article.url else trim_text(article.title, 80)
            for quote in article.details.quotes:
                line = f"{quote_line(quote)} · {where}"
                if wanted in (quote.speaker or "").casefold():
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

    async def summarize(self, url: str, *, guild_id: int | None, member_id: int) -> str:
        """Fetch any article address and describe its clean article (``/summarize``), within
        the member's and the server's allowances and the on-demand fetch slots.

        Raises:
            NotAllowed: asked outside a server (a direct message).
            LimitReached: the member or the server summarised too often lately.
            InvalidInput: the text is not a web address, or the page is not HTML.
            FetchError: the page could not be fetched.
        """
        if guild_id is None:
            raise NotAllowed(SUMMARIZE_IN_SERVERS_ONLY)
        address = pasted_address(url)
        self._summarize_budget.claim(guild_id, member_id)
        result = await self._fetcher.fetch(address)
        if not looks_like_html(result.body, result.content_type):
            raise InvalidInput("That address is not a web page Newsdesk can read as an article.")
        article = await extract_article_off_loop(result.body, url=result.url)
        return describe_extracted(address, article)
