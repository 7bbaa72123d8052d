"""The reading commands' text: an article's quotes, and ``/summarize`` for any address."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.core.errors import InvalidInput, NotFound
from bot.core.text import join_within_limit, trim_text
from bot.core.urls import is_web_url
from bot.discord_io import markup
from bot.features.feeds.discovery import looks_like_html
from bot.pipeline.fetch.fetcher import Fetcher
from bot.pipeline.read.extraction import ExtractedArticle, extract_article_off_loop
from storage import Repositories

MAX_QUOTES = 8
MAX_NAMES = 10


def quote_line(speaker: str | None, affiliation: str | None, text: str) -> str:
    """Render one quotation with its speaker and affiliation."""
    who = speaker or "Unattributed"
    if affiliation:
        who = f"{who}, {affiliation}"
    return f"> “{trim_text(text, 400)}”\n— {trim_text(who, 200)}"


def describe_quotes(title: str, quotes: Sequence[Mapping[str, str | None]]) -> str:
    """List an article's quotations, as many as fit one message."""
    if not quotes:
        return f"**{trim_text(title, 200)}** has no direct quotations."
    blocks = [f"Quotes in **{trim_text(title, 200)}**:"]
    blocks += [
        quote_line(quote.get("speaker"), quote.get("affiliation"), quote.get("text") or "")
        for quote in quotes[:MAX_QUOTES]
    ]
    return join_within_limit(blocks, "\n\n")


async def quotes_of_article(repositories: Repositories, guild_id: int, article_id: int) -> str:
    """Describe the quotes of an article one of the server's feeds carried.

    Raises:
        NotFound: no feed of this server carried that article.
    """
    article = await repositories.articles.get_for_guild(guild_id, article_id)
    if article is None:
        raise NotFound("That article is not from a feed this server follows.")
    return describe_quotes(article.title, article.quotes)


def describe_extracted(url: str, article: ExtractedArticle) -> str:
    """Render ``/summarize``: summary, who is in it, and what they said."""
    blocks = [f"**{trim_text(article.title or url, 200)}**"]
    facts = []
    if article.original_publisher and article.original_url:
        facts.append(
            f"Originally published by {article.original_publisher} <{article.original_url}>"
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
    blocks += [
        quote_line(quote.speaker, quote.affiliation, quote.text)
        for quote in article.quotes[:MAX_QUOTES]
    ]
    return join_within_limit(blocks, "\n\n")


async def summarize_address(fetcher: Fetcher, url: str) -> str:
    """Fetch any article address and describe its clean article.

    Raises:
        InvalidInput: the text is not a web address, or the page is not HTML.
        FetchError: the page could not be fetched.
    """
    address = url.strip().strip("<>")
    if not is_web_url(address):
        raise InvalidInput("Give the article's full web address, starting with https://.")
    result = await fetcher.fetch(address)
    if not looks_like_html(result.body, result.content_type):
        raise InvalidInput("That address is not a web page Newsdesk can read as an article.")
    article = await extract_article_off_loop(result.body, url=result.url)
    return describe_extracted(address, article)


QUOTE_SEARCH_DAYS = 30
QUOTE_SEARCH_ARTICLES = 500


async def recent_quotes(
    repositories: Repositories, guild_id: int, who: str, now: datetime
) -> str:
    """List recent quotations by a person (or, failing that, about a topic), with links."""
    wanted = " ".join(who.split()).casefold()
    if not wanted:
        raise InvalidInput("Name a person (or a topic) to find quotes for.")
    articles = await repositories.articles.recent_with_quotes(
        guild_id, now - timedelta(days=QUOTE_SEARCH_DAYS), QUOTE_SEARCH_ARTICLES
    )
    by_speaker: list[str] = []
    about: list[str] = []
    for article, _feed_title in articles:
        where = f"<{article.url}>" if article.url else trim_text(article.title, 80)
        for quote in article.quotes:
            speaker = (quote.get("speaker") or "").casefold()
            text = quote.get("text") or ""
            line = quote_line(quote.get("speaker"), quote.get("affiliation"), text) + f" · {where}"
            if wanted in speaker:
                by_speaker.append(line)
            elif wanted in text.casefold():
                about.append(line)
    found = by_speaker or about
    if not found:
        return (
            f"No quotes by or about **{trim_text(who, 100)}** in this server's articles of the "
            f"last {QUOTE_SEARCH_DAYS} days."
        )
    heading = "by" if by_speaker else "about"
    return join_within_limit(
        [f"Recent quotes {heading} **{trim_text(who, 100)}**:", *found[:MAX_QUOTES]], "\n\n"
    )
