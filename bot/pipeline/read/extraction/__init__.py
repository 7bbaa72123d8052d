"""Article extraction: the clean article behind a link (issue 5).

Public API::

    extract_article(html, *, url=None, summary_chars=600, fallback=None) -> ExtractedArticle
    summarize(text, limit=600) -> str
    run_extract_command(argv) -> int                    # ``newsdesk extract``

Everything here is pure and synchronous (the bot runs it in a worker process: see
``bot.pipeline.read.page_reading``); the modules are split by concern: ``page`` (parsing,
markup, trafilatura), ``cleaning``, ``dates``, ``authors``, ``original_source``,
``sentences``, ``summary``, ``quotes``, ``names``, ``people``, ``organizations``, ``places``,
``pipeline``, ``command``.
"""

from bot.core.models import Organization, Quote
from bot.pipeline.read.extraction.article import ExtractedArticle, FeedFallback
from bot.pipeline.read.extraction.command import run_extract_command
from bot.pipeline.read.extraction.pipeline import extract_article
from bot.pipeline.read.extraction.summary import summarize

__all__ = [
    "ExtractedArticle",
    "FeedFallback",
    "Organization",
    "Quote",
    "extract_article",
    "run_extract_command",
    "summarize",
]
