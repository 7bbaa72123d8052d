"""Run the extraction step off the event loop.

Rules:

- ``extract_article`` is CPU-bound (lxml parsing, trafilatura, regular expressions); the
  bot must never call it on the event loop.
- By default it runs in a worker thread (``asyncio.to_thread``): lxml releases the GIL
  while parsing, the step costs tens of milliseconds, and a thread pays no pickling or
  start-up cost. Pass a ``concurrent.futures.Executor`` (for example one
  ``ProcessPoolExecutor`` owned by the app) to run it elsewhere; the article is a frozen
  dataclass of plain values, so it crosses process boundaries.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import Executor

from bot.pipeline.read.extraction.article import ExtractedArticle, FeedFallback
from bot.pipeline.read.extraction.pipeline import extract_article


async def extract_article_off_loop(
    html: str | bytes,
    *,
    url: str | None = None,
    summary_chars: int = 600,
    fallback: FeedFallback | None = None,
    executor: Executor | None = None,
) -> ExtractedArticle:
    """Run ``extract_article`` in a worker thread, or in ``executor`` when given."""
    call = functools.partial(
        extract_article, html, url=url, summary_chars=summary_chars, fallback=fallback
    )
    if executor is None:
        return await asyncio.to_thread(call)
    return await asyncio.get_running_loop().run_in_executor(executor, call)
