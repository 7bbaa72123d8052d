"""Reading one article page in a worker process: extraction (clean text, summary, names,
quotes) and, for the reader, the fingerprint copies are recognised by.

Rules:

- Input is capped before it leaves the event loop's process: only the first
  ``MAX_PAGE_BYTES`` (300,000) bytes of a page's HTML are read (a ``str`` page: its first
  300,000 characters), and only the first 300,000 characters of the feed's own text for the
  article. Whatever follows is ignored, as if the page ended there.
- The work runs in the shared ``WorkerPool`` (never on the loop, never in a thread that cannot
  be stopped). A page not read within the pool's deadline has its worker killed and raises
  ``PageNotRead`` ("took longer than 20 s to read"); so does a worker that dies reading it,
  or a reading that needs more than a worker's memory (1 GiB).
  Any other failure of the extraction code is raised as it is (a bug, for the caller to log).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.core.errors import PageNotRead
from bot.pipeline.read.extraction.article import ExtractedArticle, FeedFallback
from bot.pipeline.read.extraction.pipeline import extract_article
from bot.pipeline.story.copies import Fingerprint, fingerprint
from bot.pipeline.worker_pool import Jobs, JobTimedOut, WorkerCrashed

MAX_PAGE_BYTES = 300_000
# What a worker imports before it takes jobs (and the forkserver before it forks workers);
# the last one reads a sample page, so no deadline counts loading the gazetteer.
READING_MODULES = (
    "bot.pipeline.read.page_reading",
    "bot.pipeline.parse",
    "bot.pipeline.read.worker_warmup",
)
_SAMPLE_PAGE = (
    b"<html lang='en'><head><title>Sample</title></head><body><article><h1>Sample</h1>"
    b"<p>\xe2\x80\x9cIt is ready,\xe2\x80\x9d said Ann Lee of Acme Corp in Paris on Monday."
    b"</p></article></body></html>"
)


@dataclass(frozen=True)
class PageReading:
    """What a worker read from a page."""

    article: ExtractedArticle
    fingerprint: Fingerprint | None


def capped_page(html: str | bytes) -> str | bytes:
    """Return the part of a page that is read: its first ``MAX_PAGE_BYTES``."""
    return html[:MAX_PAGE_BYTES]


def read_page(
    html: str | bytes,
    url: str | None,
    summary_chars: int,
    fallback: FeedFallback | None,
    with_fingerprint: bool,
) -> PageReading:
    """Extract the article (and its fingerprint when asked); this runs in a worker."""
    article = extract_article(html, url=url, summary_chars=summary_chars, fallback=fallback)
    if not with_fingerprint:
        return PageReading(article, None)
    text = article.text or (fallback.text if fallback else "")
    return PageReading(article, fingerprint(text))


def warm_up() -> None:
    """Read one small page, so the lazy state of extraction (the place gazetteer, the
    libraries' caches: about a second) is loaded before a worker's first job."""
    read_page(_SAMPLE_PAGE, "https://sample.example/", 600, None, True)


async def read_page_in_pool(
    pool: Jobs,
    html: str | bytes,
    *,
    url: str | None,
    fallback: FeedFallback | None = None,
    summary_chars: int = 600,
    with_fingerprint: bool = False,
) -> PageReading:
    """Read the first 300 KB of a page in a worker process, within the pool's deadline.

    Raises:
        PageNotRead: the reading took longer than the deadline, or its worker stopped.
    """
    if fallback is not None:
        fallback = replace(fallback, text=fallback.text[:MAX_PAGE_BYTES])
    try:
        return await pool.run(
            read_page, capped_page(html), url, summary_chars, fallback, with_fingerprint
        )
    except JobTimedOut as slow:
        raise PageNotRead(
            f"Newsdesk took longer than {slow.deadline_seconds:g} s to read that page, so it "
            "stopped. Try another address for the same article."
        ) from None
    except MemoryError:
        raise PageNotRead(
            "Newsdesk could not read that page: reading it needed more memory than a page may "
            "use. Try another address for the same article."
        ) from None
    except WorkerCrashed:
        raise PageNotRead(
            "Newsdesk could not read that page: reading it stopped the process reading it. "
            "Try another address for the same article."
        ) from None
