"""``newsdesk extract PATH_OR_URL... [--url URL]``: print each input's article as JSON.

Rules:

- One JSON object per input, one line each, in the order given (``ExtractedArticle.to_json``
  with ``source`` = the path or URL as typed).
- ``http://`` and ``https://`` inputs are fetched with the polite ``Fetcher`` (one session
  for all of them); anything else is read as a file. ``--url`` gives the page's address
  for a single file input (it is refused with several inputs).
- An input that cannot be read or fetched prints ``{"source", "error"}`` on its line and
  makes the exit status 1; the other inputs are still printed. Usage errors exit 2.
- One process for all inputs: the start-up cost (imports, gazetteer) is paid once; the HTTP
  client is imported only when an input is an address.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

from bot.core.errors import FetchError
from bot.pipeline.read.extraction.pipeline import extract_article


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk extract",
        description="Print the clean article of each page (file or URL) as one JSON line.",
    )
    parser.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    parser.add_argument("--url", help="the address of the page, for a single file input")
    parser.add_argument("--summary-chars", type=int, default=600, help="summary length limit")
    return parser


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def _fetch_and_extract(sources: list[str], summary_chars: int) -> dict[str, object]:
    # Imported here: the HTTP client costs most of the start-up, and files never need it.
    from bot.pipeline.fetch.fetcher import Fetcher, FetchSettings  # noqa: PLC0415

    results: dict[str, object] = {}
    settings = FetchSettings()
    async with Fetcher.create_session(settings) as session:
        fetcher = Fetcher(session, settings)
        for source in sources:
            try:
                fetched = await fetcher.fetch(source)
            except FetchError as error:
                results[source] = {"source": source, "error": str(error)}
                continue
            # One operator's own command, one page at a time: a thread is enough here.
            article = await asyncio.to_thread(
                extract_article, fetched.body, url=fetched.url, summary_chars=summary_chars
            )
            results[source] = article.to_json(source)
    return results


def _from_file(source: str, url: str | None, summary_chars: int) -> dict[str, object]:
    try:
        html = Path(source).read_bytes()
    except OSError as error:
        return {"source": source, "error": f"Cannot read {source}: {error.strerror or error}"}
    return extract_article(html, url=url, summary_chars=summary_chars).to_json(source)


def run_extract_command(argv: list[str], out: TextIO | None = None) -> int:
    """Run ``newsdesk extract`` with ``argv`` (the words after ``extract``); return the status."""
    stream = out if out is not None else sys.stdout
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    inputs: list[str] = args.inputs
    if args.url and len(inputs) > 1:
        sys.stderr.write("newsdesk extract: --url needs exactly one input\n")
        return 2
    remote = [source for source in inputs if _is_url(source)]
    fetched = asyncio.run(_fetch_and_extract(remote, args.summary_chars)) if remote else {}
    status = 0
    for source in inputs:
        if _is_url(source):
            record = fetched[source]
        else:
            record = _from_file(source, args.url, args.summary_chars)
        if isinstance(record, dict) and "error" in record:
            status = 1
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    stream.flush()
    return status
