"""Article extraction, measured: Newsdesk's pipeline beside bare trafilatura, same run.

Usage (from the repository root)::

    python -m bench.extraction_quality [--data DIR] [--limit N] [--every K] [--quick]
                                       [--json PATH]

For every page of the trafilatura evaluation set (``evaldata.json`` + ``html/*.gz``), the
three sides on the same page, in the same process, one after the other:

- bare: ``trafilatura.bare_extraction(html, url=url, with_metadata=True)``, its text;
- htmldate: ``htmldate.find_date(html, url=url)`` (bare htmldate: its extensive search, the
  library's defaults), its date;
- newsdesk: what ``newsdesk extract`` does per page: ``extract_article(html, url=url)``,
  the whole step (cleaning, dates, original source, summary, quotes, people,
  organisations, places), and its JSON line.

The three ratios of the issue are printed last: text F1 newsdesk / bare trafilatura (at
least 1), date accuracy within a day newsdesk / bare htmldate (at least 1), and time
newsdesk / bare trafilatura (at most 1.5).

Main text: a "with" snippet found in the text is a true positive, missing a false negative;
a "without" snippet found is a false positive (a leak). Matching is on whitespace-collapsed
text for both sides. Title, author and date accuracy count the pages whose label is
present: equal after case-folding and collapsing spaces (an empty label expects no value;
the date compares YYYY-MM-DD, ours in UTC). Time: wall clock per page, each side timed
separately on the same page, in the same process; the gazetteer is loaded before timing.

``--command``: besides, time the commands themselves over the same pages written to files:
``newsdesk extract FILE...`` (one process: start-up, imports, the gazetteer, every page and
its JSON line) against one process running bare trafilatura over the same files, each run
twice in turn (A B A B); prints the wall-time ratio.

``--quick``: 40 pages (every 25th). Exit status 1 when the pipeline finds fewer must-have
snippets than bare trafilatura or leaks more must-not-have ones.
"""

from __future__ import annotations

import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import htmldate  # type: ignore[import-untyped,unused-ignore]
import trafilatura

from bench.support.arguments import bench_parser, write_figures
from bot.pipeline.read.extraction import extract_article
from bot.pipeline.read.extraction.places import gazetteer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "trafilatura-eval"
QUICK_LIMIT = 40
QUICK_EVERY = 25


@dataclass
class Side:
    """Counts and timings of one extractor."""

    true_positives: int = 0
    false_negatives: int = 0
    leaks: int = 0
    clean: int = 0
    title_hits: int = 0
    author_hits: int = 0
    date_hits: int = 0
    date_near_hits: int = 0
    labelled: int = 0
    dated: int = 0
    dated_near_hits: int = 0
    seconds: list[float] = field(default_factory=list)

    def precision(self) -> float:
        found = self.true_positives + self.leaks
        return self.true_positives / found if found else 0.0

    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 0.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def same_label(label: str, value: str | None) -> bool:
    return squash(label).casefold() == squash(value).casefold()


def within_a_day(label: str, day: str | None) -> bool:
    if not label or not day:
        return not label and not day
    try:
        apart = abs(date.fromisoformat(label) - date.fromisoformat(day))
    except ValueError:
        return False
    return apart <= timedelta(days=1)


def score_text(side: Side, text: str, wanted: list[str], unwanted: list[str]) -> None:
    flat = squash(text)
    for snippet in wanted:
        if squash(snippet) in flat:
            side.true_positives += 1
        else:
            side.false_negatives += 1
    for snippet in unwanted:
        if squash(snippet) in flat:
            side.leaks += 1
        else:
            side.clean += 1


def score_metadata(
    side: Side, record: dict[str, object], title: str | None, author: str | None, day: str | None
) -> None:
    if "title" not in record:
        return
    side.labelled += 1
    side.title_hits += same_label(str(record.get("title") or ""), title)
    side.author_hits += same_label(str(record.get("author") or ""), author)
    label = str(record.get("date") or "")
    side.date_hits += same_label(label, day)
    side.date_near_hits += within_a_day(label, day)
    if label:
        side.dated += 1
        side.dated_near_hits += within_a_day(label, day)


def compare(
    data: Path, limit: int | None = None, every: int = 1
) -> tuple[Side, Side, Side]:
    """Run the three sides over the evaluation set; return (bare, htmldate, newsdesk)."""
    evaluation: dict[str, dict[str, object]] = json.loads(
        (data / "evaldata.json").read_text(encoding="utf-8")
    )
    items = list(evaluation.items())[::every][:limit]
    gazetteer()
    bare, dates, ours = Side(), Side(), Side()
    for url, record in items:
        html = gzip.decompress((data / "html" / f"{record['file']}.gz").read_bytes())
        wanted = [str(s) for s in record.get("with", [])]  # type: ignore[attr-defined]
        unwanted = [str(s) for s in record.get("without", [])]  # type: ignore[attr-defined]
        started = time.perf_counter()
        document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        bare.seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        found_date = htmldate.find_date(html, url=url)
        dates.seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        article = extract_article(html, url=url)
        json.dumps(article.to_json(url), ensure_ascii=False)
        ours.seconds.append(time.perf_counter() - started)
        score_metadata(dates, record, None, None, found_date)
        if document is None or isinstance(document, dict):
            score_text(bare, "", wanted, unwanted)
            score_metadata(bare, record, None, None, None)
        else:
            score_text(bare, document.text or "", wanted, unwanted)
            score_metadata(bare, record, document.title, document.author, document.date)
        score_text(ours, article.text, wanted, unwanted)
        day = article.published.date().isoformat() if article.published else None
        score_metadata(ours, record, article.title, article.author, day)
    return bare, dates, ours


BARE_COMMAND = """
import json, sys
import trafilatura
for path in sys.argv[1:]:
    with open(path, "rb") as page:
        document = trafilatura.bare_extraction(page.read(), with_metadata=True)
    text = "" if document is None or isinstance(document, dict) else document.text
    print(json.dumps({"source": path, "text": text}, ensure_ascii=False))
"""


def time_commands(data: Path, limit: int | None, every: int, rounds: int = 2) -> dict[str, float]:
    """Wall time of ``newsdesk extract`` and of bare trafilatura, each one process over the
    same page files, run in turn ``rounds`` times; the totals and their ratio."""
    evaluation: dict[str, dict[str, object]] = json.loads(
        (data / "evaldata.json").read_text(encoding="utf-8")
    )
    items = list(evaluation.items())[::every][:limit]
    with tempfile.TemporaryDirectory(prefix="newsdesk-extract-bench-") as folder:
        files = []
        for number, (_url, record) in enumerate(items):
            path = Path(folder) / f"{number:04d}.html"
            path.write_bytes(gzip.decompress((data / "html" / f"{record['file']}.gz").read_bytes()))
            files.append(str(path))
        commands = {
            "newsdesk": [sys.executable, "-m", "bot.app.cli", "extract", *files],
            "bare": [sys.executable, "-c", BARE_COMMAND, *files],
        }
        totals = {"newsdesk": 0.0, "bare": 0.0}
        for _round in range(rounds):
            for name in ("bare", "newsdesk"):
                started = time.perf_counter()
                subprocess.run(
                    commands[name], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
                )
                totals[name] += time.perf_counter() - started
    return {
        "pages": len(files),
        "bare_seconds": totals["bare"] / rounds,
        "newsdesk_seconds": totals["newsdesk"] / rounds,
        "ratio": totals["newsdesk"] / totals["bare"],
    }


def ratios(bare: Side, dates: Side, ours: Side) -> dict[str, float]:
    """The issue's three ratios: text F1, date accuracy (within a day), time."""
    return {
        "text_f1": ours.f1() / bare.f1() if bare.f1() else 0.0,
        "date_within_a_day": (ours.date_near_hits / max(dates.date_near_hits, 1)),
        "dated_pages_date_within_a_day": ours.dated_near_hits / max(dates.dated_near_hits, 1),
        "time": sum(ours.seconds) / sum(bare.seconds),
    }


def table(bare: Side, ours: Side, dates: Side | None = None) -> str:
    """Return the side-by-side table in Markdown."""

    def per_page(side: Side, pick: str) -> float:
        values = side.seconds
        value = statistics.mean(values) if pick == "mean" else statistics.median(values)
        return value * 1000

    rows = [
        ("main text precision", f"{bare.precision():.3f}", f"{ours.precision():.3f}"),
        ("main text recall", f"{bare.recall():.3f}", f"{ours.recall():.3f}"),
        ("main text F1", f"{bare.f1():.3f}", f"{ours.f1():.3f}"),
        ("must-have found (TP)", str(bare.true_positives), str(ours.true_positives)),
        ("must-not-have leaks (FP)", str(bare.leaks), str(ours.leaks)),
        ("title accuracy", f"{bare.title_hits / max(bare.labelled, 1):.3f}",
         f"{ours.title_hits / max(ours.labelled, 1):.3f}"),
        ("author accuracy", f"{bare.author_hits / max(bare.labelled, 1):.3f}",
         f"{ours.author_hits / max(ours.labelled, 1):.3f}"),
        ("date accuracy", f"{bare.date_hits / max(bare.labelled, 1):.3f}",
         f"{ours.date_hits / max(ours.labelled, 1):.3f}"),
        ("date within a day (UTC shift)", f"{bare.date_near_hits / max(bare.labelled, 1):.3f}",
         f"{ours.date_near_hits / max(ours.labelled, 1):.3f}"),
        ("pages with a date label: within a day",
         f"{bare.dated_near_hits / max(bare.dated, 1):.3f}",
         f"{ours.dated_near_hits / max(ours.dated, 1):.3f}"),
        *([("bare htmldate: date accuracy / within a day / dated pages within a day",
            f"{dates.date_hits / max(dates.labelled, 1):.3f} / "
            f"{dates.date_near_hits / max(dates.labelled, 1):.3f} / "
            f"{dates.dated_near_hits / max(dates.dated, 1):.3f}", "")] if dates else []),
        ("mean ms per page", f"{per_page(bare, 'mean'):.1f}", f"{per_page(ours, 'mean'):.1f}"),
        ("median ms per page", f"{per_page(bare, 'median'):.1f}",
         f"{per_page(ours, 'median'):.1f}"),
    ]  # fmt: skip
    lines = ["| measure | bare trafilatura | newsdesk pipeline |", "|---|---:|---:|"]
    lines += [f"| {name} | {left} | {right} |" for name, left, right in rows]
    ratio = sum(ours.seconds) / sum(bare.seconds)
    lines.append(f"| time ratio (total) | 1.00 | {ratio:.2f} |")
    return "\n".join(lines)


def side_figures(side: Side) -> dict[str, Any]:
    """One extractor's figures, as ``--json`` writes them."""
    labelled = max(side.labelled, 1)
    return {
        "precision": side.precision(), "recall": side.recall(), "f1": side.f1(),
        "true_positives": side.true_positives, "false_negatives": side.false_negatives,
        "leaks": side.leaks, "clean": side.clean, "labelled": side.labelled,
        "title_accuracy": side.title_hits / labelled,
        "author_accuracy": side.author_hits / labelled,
        "date_accuracy": side.date_hits / labelled,
        "date_within_a_day": side.date_near_hits / labelled,
        "dated": side.dated,
        "dated_within_a_day": side.dated_near_hits / max(side.dated, 1),
        "mean_ms": statistics.mean(side.seconds) * 1000,
        "median_ms": statistics.median(side.seconds) * 1000,
        "total_seconds": sum(side.seconds),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Compare both extractors, print the table; 1 when the pipeline does worse on text."""
    parser = bench_parser(__doc__, quick=f"{QUICK_LIMIT} pages, every {QUICK_EVERY}th")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="at most N pages")
    parser.add_argument("--every", type=int, default=1, help="every K-th page only")
    parser.add_argument(
        "--command", action="store_true", help="also time the two commands, each one process"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.limit, args.every = QUICK_LIMIT, QUICK_EVERY
    bare, dates, ours = compare(args.data, args.limit, args.every)
    print(f"{len(ours.seconds)} pages, {ours.labelled} with metadata labels")
    print(table(bare, ours, dates))
    figures = ratios(bare, dates, ours)
    print(
        f"ratios newsdesk / anchor: text F1 {figures['text_f1']:.3f} (bare trafilatura, "
        f"bar >= 1), date within a day {figures['date_within_a_day']:.3f} (bare htmldate, "
        f"bar >= 1; on the pages with a date label "
        f"{figures['dated_pages_date_within_a_day']:.3f}), time {figures['time']:.2f} "
        "(bare trafilatura, bar <= 1.5)"
    )
    commands = time_commands(args.data, args.limit, args.every) if args.command else None
    if commands:
        print(
            f"commands over the same {commands['pages']} files (mean of 2 runs): newsdesk "
            f"extract {commands['newsdesk_seconds']:.1f} s, bare trafilatura "
            f"{commands['bare_seconds']:.1f} s, ratio {commands['ratio']:.2f} (bar <= 1.5)"
        )
    write_figures(args.json, {
        "commands": commands,
        "pages": len(ours.seconds),
        "bare": side_figures(bare),
        "htmldate": side_figures(dates),
        "newsdesk": side_figures(ours),
        "time_ratio": figures["time"],
        "ratios": figures,
    })
    not_worse = ours.true_positives >= bare.true_positives and ours.leaks <= bare.leaks
    return 0 if not_worse else 1


if __name__ == "__main__":
    sys.exit(main())
