"""Parse throughput over ``real-feeds/``: Newsdesk's ``parse_feed`` against feedparser alone.

Usage (from the repository root)::

    python -m bench.parse_throughput [--data ../shared/data/real-feeds] [--rounds 3] [--quick]
                                     [--json PATH]

Loads the 200 real feeds (gzip) into memory, then, in the same process and the same run,
parses every document with ``bot.pipeline.parse.parse_feed`` and with ``feedparser.parse``
(bytes in, no URL or headers), alternating which goes first each round. Prints, per parser,
the best round's feeds/s and MB/s (raw, decompressed bytes), the entries found, and the
ratio of the two times. ``parse_feed`` runs feedparser itself and then cleans every field,
so the ratio is the cost of that cleaning (plus the JSON Feed path). ``--quick``: one round
over every 10th of the feeds of at most 100 KB (12 feeds, about 0.5 MB).
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser

from bench.support.arguments import bench_parser, write_figures
from bot.core.errors import FeedParseError
from bot.pipeline.parse import parse_feed

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-feeds"
QUICK_MAX_BYTES = 100_000
QUICK_EVERY = 10


@dataclass(frozen=True)
class Document:
    """One feed of the corpus, decompressed."""

    url: str
    body: bytes


@dataclass
class Round:
    """One parser's timing over the whole corpus."""

    seconds: float
    entries: int
    refused: int


def load_corpus(data: Path, *, quick: bool = False) -> list[Document]:
    """Read ``index.json`` and decompress every feed it lists (``quick``: every
    ``QUICK_EVERY``-th of those of at most ``QUICK_MAX_BYTES``)."""
    index = json.loads((data / "index.json").read_text(encoding="utf-8"))
    if quick:
        index = [item for item in index if item["bytes"] <= QUICK_MAX_BYTES][::QUICK_EVERY]
    return [
        Document(item["url"], gzip.decompress((data / item["file"]).read_bytes()))
        for item in index
    ]


def newsdesk_parse(document: Document) -> tuple[int, bool]:
    """Parse with Newsdesk; return (entries, refused)."""
    try:
        return len(parse_feed(document.body, url=document.url).entries), False
    except FeedParseError:
        return 0, True


def feedparser_parse(document: Document) -> tuple[int, bool]:
    """Parse with feedparser alone; return (entries, bozo without entries)."""
    parsed = feedparser.parse(document.body)
    entries = len(parsed.entries)
    return entries, bool(parsed.bozo) and entries == 0


def time_round(documents: list[Document], parse: Callable[[Document], tuple[int, bool]]) -> Round:
    """Parse every document once and return the time taken."""
    entries = refused = 0
    started = time.perf_counter()
    for document in documents:
        found, failed = parse(document)
        entries += found
        refused += failed
    return Round(time.perf_counter() - started, entries, refused)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench from the command line."""
    parser = bench_parser(
        __doc__,
        quick=f"one round over every {QUICK_EVERY}th feed of at most {QUICK_MAX_BYTES:,} bytes",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 21))
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1

    documents = load_corpus(args.data, quick=args.quick)
    megabytes = sum(len(d.body) for d in documents) / 1e6
    print(f"corpus: {len(documents)} feeds, {megabytes:.1f} MB decompressed ({args.data})")
    parsers: dict[str, Callable[[Document], tuple[int, bool]]] = {
        "newsdesk parse_feed": newsdesk_parse,
        "feedparser.parse": feedparser_parse,
    }
    best: dict[str, Round] = {}
    for number in range(args.rounds):
        order = list(parsers.items()) if number % 2 == 0 else list(reversed(parsers.items()))
        for name, parse in order:
            result = time_round(documents, parse)
            print(f"  round {number + 1} {name}: {result.seconds:.2f} s")
            if name not in best or result.seconds < best[name].seconds:
                best[name] = result
    print(f"best of {args.rounds} round(s):")
    for name, result in best.items():
        print(f"  {name:20} {len(documents) / result.seconds:7.1f} feeds/s "
              f"{megabytes / result.seconds:6.2f} MB/s  {result.seconds:6.2f} s  "
              f"entries {result.entries}  no feed {result.refused}")
    ratio = best["newsdesk parse_feed"].seconds / best["feedparser.parse"].seconds
    print(f"ratio newsdesk / feedparser time: {ratio:.2f}x")
    figures: dict[str, Any] = {
        "feeds": len(documents), "megabytes": megabytes, "rounds": args.rounds,
        "best": {
            name: {
                "seconds": result.seconds, "feeds_per_second": len(documents) / result.seconds,
                "megabytes_per_second": megabytes / result.seconds, "entries": result.entries,
                "no_feed": result.refused,
            }
            for name, result in best.items()
        },
        "ratio_newsdesk_to_feedparser": ratio,
    }
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
