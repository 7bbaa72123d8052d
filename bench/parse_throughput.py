"""Parse throughput over ``real-feeds/``: Newsdesk's ``parse_feed``, as a poll uses it and
eagerly, against fastfeedparser alone and feedparser alone.

Usage (from the repository root)::

    python -m bench.parse_throughput [--data ../shared/data/real-feeds] [--rounds 3] [--quick]
                                     [--json PATH]

Loads the 200 real feeds (gzip) into memory, then, in the same process and the same run,
parses every document with ``bot.pipeline.parse.parse_feed`` twice over, with
``fastfeedparser.parse`` and with ``feedparser.parse`` (bytes in, no URL or headers),
rotating which goes first each round:

- "parse_feed, a poll": as the poller calls it for a changed feed, told the keys of the
  entries it stored before (``known_keys``). Assumed: every feed changed by
  ``NEW_ENTRIES_PER_CHANGED_FEED`` new entries (its newest), the others stored, so those are
  keyed but neither dated nor cleaned. The target is judged on this figure: it is
  what polling does for each changed feed, the work that grows with the feeds followed.
- "parse_feed, eager": every field of every entry cleaned, as for a feed seen for the first
  time (subscribing, discovery) or one whose entries are all new.

Prints, per parser, the best round's total time, median time a feed, feeds/s and MB/s (raw,
decompressed bytes), the entries found (for a poll: those cleaned) and the best round's CPU
time (``time.process_time``: other processes on a shared machine inflate it less), then each
``parse_feed`` time as a multiple of fastfeedparser's (the target: at most ``TARGET_RATIO``
times, for a poll) and the eager one of feedparser's, and how many feeds ``parse_feed`` read
through fastfeedparser and how many it handed to feedparser. ``parse_feed`` reads with
fastfeedparser and then cleans fields as its feedparser path does, so its ratio to
fastfeedparser is the cost of that cleaning. ``--quick``: one round over every 10th of the
feeds of at most 100 KB (12 feeds, about 0.5 MB).
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import fastfeedparser
import feedparser

from bench.support.arguments import bench_parser, write_figures
from bot.core.errors import FeedParseError
from bot.pipeline.identify import articles_from_entries
from bot.pipeline.parse import parse_feed
from bot.pipeline.parse.fast_syndication import parse_fast_syndication
from bot.pipeline.parse.json_feed import json_feed_document

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-feeds"
QUICK_MAX_BYTES = 100_000
QUICK_EVERY = 10
TARGET_RATIO = 2.0
NEW_ENTRIES_PER_CHANGED_FEED = 3
POLL = "parse_feed, a poll"
NEWSDESK = "parse_feed, eager"
FASTFEEDPARSER = "fastfeedparser.parse"
FEEDPARSER = "feedparser.parse"


@dataclass(frozen=True)
class Document:
    """One feed of the corpus, decompressed, and the keys a poll of it would know: those of
    its entries but the newest ``NEW_ENTRIES_PER_CHANGED_FEED``."""

    url: str
    body: bytes
    known_keys: frozenset[str] = frozenset()


@dataclass
class Round:
    """One parser's timing over the whole corpus."""

    seconds: float
    median_seconds: float
    entries: int
    refused: int
    cpu_seconds: float = 0.0


def load_corpus(data: Path, *, quick: bool = False) -> list[Document]:
    """Read ``index.json`` and decompress every feed it lists (``quick``: every
    ``QUICK_EVERY``-th of those of at most ``QUICK_MAX_BYTES``)."""
    index = json.loads((data / "index.json").read_text(encoding="utf-8"))
    if quick:
        index = [item for item in index if item["bytes"] <= QUICK_MAX_BYTES][::QUICK_EVERY]
    documents = []
    for item in index:
        body = gzip.decompress((data / item["file"]).read_bytes())
        documents.append(Document(item["url"], body, stored_keys(body, item["url"])))
    return documents


def stored_keys(body: bytes, url: str) -> frozenset[str]:
    """The keys of a document's entries but its newest ``NEW_ENTRIES_PER_CHANGED_FEED``
    (``articles_from_entries`` lists them oldest first)."""
    try:
        articles = articles_from_entries(parse_feed(body, url=url).entries)
    except FeedParseError:
        return frozenset()
    return frozenset(article.entry_key for article in articles[:-NEW_ENTRIES_PER_CHANGED_FEED])


def poll_parse(document: Document) -> tuple[int, bool]:
    """Parse with Newsdesk as a poll does; return (entries cleaned, refused)."""
    try:
        parsed = parse_feed(document.body, url=document.url, known_keys=document.known_keys)
    except FeedParseError:
        return 0, True
    return sum(1 for entry in parsed.entries if not entry.known), False


def newsdesk_parse(document: Document) -> tuple[int, bool]:
    """Parse with Newsdesk; return (entries, refused)."""
    try:
        return len(parse_feed(document.body, url=document.url).entries), False
    except FeedParseError:
        return 0, True


def fastfeedparser_parse(document: Document) -> tuple[int, bool]:
    """Parse with fastfeedparser alone (bytes: given a str it may fetch it); return
    (entries, refused)."""
    try:
        return len(fastfeedparser.parse(document.body).entries), False
    except Exception:  # it refuses a document by raising (ValueError, mostly)
        return 0, True


def feedparser_parse(document: Document) -> tuple[int, bool]:
    """Parse with feedparser alone; return (entries, bozo without entries)."""
    parsed = feedparser.parse(document.body)
    entries = len(parsed.entries)
    return entries, bool(parsed.bozo) and entries == 0


def time_round(documents: list[Document], parse: Callable[[Document], tuple[int, bool]]) -> Round:
    """Parse every document once and return the time taken, in all and per document."""
    entries = refused = 0
    each: list[float] = []
    cpu = 0.0
    for document in documents:
        started, started_cpu = time.perf_counter(), time.process_time()
        found, failed = parse(document)
        each.append(time.perf_counter() - started)
        cpu += time.process_time() - started_cpu
        entries += found
        refused += failed
    return Round(sum(each), statistics.median(each), entries, refused, cpu)


def handed_to_feedparser(documents: list[Document]) -> int:
    """How many RSS, Atom or RDF documents ``parse_feed`` hands to feedparser."""
    return sum(
        1 for document in documents
        if json_feed_document(document.body, None) is None
        and parse_fast_syndication(document.body, document.url, None, 500) is None
    )


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
    print(f"a poll: each feed changed by {NEW_ENTRIES_PER_CHANGED_FEED} new entries, its "
          "others stored (keyed only, not dated or cleaned); eager: every entry cleaned")
    parsers: dict[str, Callable[[Document], tuple[int, bool]]] = {
        POLL: poll_parse,
        NEWSDESK: newsdesk_parse,
        FASTFEEDPARSER: fastfeedparser_parse,
        FEEDPARSER: feedparser_parse,
    }
    best: dict[str, Round] = {}
    names = list(parsers)
    for number in range(args.rounds):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            result = time_round(documents, parsers[name])
            print(f"  round {number + 1} {name}: {result.seconds:.3f} s")
            least_cpu = min(result.cpu_seconds, best[name].cpu_seconds if name in best else 1e9)
            if name not in best or result.seconds < best[name].seconds:
                best[name] = result
            best[name] = replace(best[name], cpu_seconds=least_cpu)
    print(f"best of {args.rounds} round(s):")
    for name in names:
        result = best[name]
        print(f"  {name:22} {result.seconds:7.3f} s  median {result.median_seconds * 1000:6.2f} "
              f"ms a feed  {len(documents) / result.seconds:7.1f} feeds/s "
              f"{megabytes / result.seconds:6.2f} MB/s  entries {result.entries}  "
              f"no feed {result.refused}  CPU {result.cpu_seconds:.3f} s")
    poll_to_fast = best[POLL].seconds / best[FASTFEEDPARSER].seconds
    to_fast = best[NEWSDESK].seconds / best[FASTFEEDPARSER].seconds
    to_feedparser = best[NEWSDESK].seconds / best[FEEDPARSER].seconds
    handed = handed_to_feedparser(documents)
    verdict = "met" if poll_to_fast <= TARGET_RATIO else "NOT met"
    print(f"ratio parse_feed (a poll) / fastfeedparser time: {poll_to_fast:.2f}x "
          f"(target at most {TARGET_RATIO:.2f}x: {verdict})")
    print(f"ratio parse_feed (eager) / fastfeedparser time: {to_fast:.2f}x")
    cpu_poll = best[POLL].cpu_seconds / best[FASTFEEDPARSER].cpu_seconds
    cpu_eager = best[NEWSDESK].cpu_seconds / best[FASTFEEDPARSER].cpu_seconds
    print(f"in CPU time (best round each, steadier on a shared machine): a poll {cpu_poll:.2f}x, "
          f"eager {cpu_eager:.2f}x fastfeedparser's")
    print(f"ratio parse_feed (eager) / feedparser time: {to_feedparser:.2f}x")
    print(f"parse_feed read {len(documents) - handed} of {len(documents)} feeds through "
          f"fastfeedparser (JSON Feed included), {handed} through feedparser")
    figures: dict[str, Any] = {
        "feeds": len(documents), "megabytes": megabytes, "rounds": args.rounds,
        "best": {
            name: {
                "seconds": result.seconds, "median_seconds": result.median_seconds,
                "feeds_per_second": len(documents) / result.seconds,
                "megabytes_per_second": megabytes / result.seconds, "entries": result.entries,
                "no_feed": result.refused, "cpu_seconds": result.cpu_seconds,
            }
            for name, result in best.items()
        },
        "new_entries_per_changed_feed": NEW_ENTRIES_PER_CHANGED_FEED,
        "ratio_poll_to_fastfeedparser": poll_to_fast,
        "cpu_ratio_poll_to_fastfeedparser": cpu_poll,
        "cpu_ratio_newsdesk_to_fastfeedparser": cpu_eager,
        "ratio_newsdesk_to_fastfeedparser": to_fast,
        "ratio_newsdesk_to_feedparser": to_feedparser,
        "target_ratio_to_fastfeedparser": TARGET_RATIO,
        "handed_to_feedparser": handed,
    }
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
