"""Copy detection quality on copies-dev: pairwise precision, recall and F1 of ``newsdesk copies``.

Usage (from the repository root)::

    python -m bench.copies_quality [--data DIR] [--calibrate] [--index] [--quick] [--json PATH]

Runs the ``copies`` command's own code (``run_copies_command``) on every page of
``DIR/copies-dev/pages`` (default ``../shared/data``) and scores its groups against
``groups.json``: a pair of pages is predicted positive when the two share a group.
``--index`` groups through the LSH index instead of all pairs (the path taken above
``ALL_PAIRS_LIMIT`` texts), to measure what LSH candidates lose. ``--calibrate`` also
prints the containment distributions of same-article and different-article pairs, the
best Jaccard (whole text or lead) of each copy pair, and chance containment of short
teasers: the figures the thresholds in ``bot/pipeline/story/copies/decision.py`` were chosen
from. ``--quick`` takes the pages of every fourth article of the truth only (15 of 60).
Exit status 1 when precision falls under 0.99 or recall under 0.97 (the bar the copies
tests hold).
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from bench.support.arguments import bench_parser, write_figures
from bot.pipeline.story.copies import COPY_THRESHOLD, MIN_SHINGLES, containment, fingerprint
from bot.pipeline.story.copies.command import run_copies_command
from bot.pipeline.story.copies.fingerprint import LEAD_SHINGLES
from bot.pipeline.story.copies.grouping import group_fingerprints
from bot.pipeline.story.copies.page_text import read_article_file, read_article_text
from bot.pipeline.story.copies.shingles import text_shingles, words

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
QUICK_EVERY = 4  # every fourth article of the truth, with all its pages
MIN_PRECISION = 0.99
MIN_RECALL = 0.97


def pair_set(groups: list[list[str]]) -> set[frozenset[str]]:
    """Return every unordered pair of files that share a group."""
    return {frozenset(pair) for group in groups for pair in combinations(group, 2)}


def score(predicted: list[list[str]], truth: list[list[str]]) -> tuple[float, float, float]:
    """Return pairwise precision, recall and F1 of ``predicted`` groups against ``truth``."""
    got, want = pair_set(predicted), pair_set(truth)
    true_positives = len(got & want)
    precision = true_positives / len(got) if got else 1.0
    recall = true_positives / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def jaccard(a: set[int], b: set[int]) -> float:
    """Return |A ∩ B| / |A ∪ B|."""
    return len(a & b) / len(a | b) if a or b else 0.0


def calibrate(pages: list[Path], truth: list[list[str]]) -> None:
    """Print the distributions the thresholds were calibrated on."""
    group_of = {name: number for number, group in enumerate(truth) for name in group}
    texts = {page.name: read_article_text(page) for page in pages}
    prints = {name: fingerprint(text) for name, text in texts.items()}
    ordered = {name: text_shingles(text) for name, text in texts.items()}
    same: list[tuple[float, float, str, str]] = []
    different: list[float] = []
    for a, b in combinations(sorted(texts), 2):
        value = containment(prints[a], prints[b])
        if group_of[a] == group_of[b]:
            whole = jaccard(set(prints[a].shingles), set(prints[b].shingles))
            lead = jaccard(
                set(ordered[a][:LEAD_SHINGLES].tolist()), set(ordered[b][:LEAD_SHINGLES].tolist())
            )
            same.append((value, max(whole, lead), a, b))
        else:
            different.append(value)
    same.sort()
    sizes = sorted(len(fp) for fp in prints.values())
    print(f"texts: {len(texts)}, distinct shingles min {sizes[0]} median {sizes[len(sizes) // 2]}"
          f" max {sizes[-1]}")
    print(f"same-article pairs: {len(same)}; containment min {same[0][0]:.3f} "
          f"({same[0][2]} {same[0][3]}), 5th pct {np.percentile([s[0] for s in same], 5):.3f}, "
          f"median {np.median([s[0] for s in same]):.3f}")
    print("  lowest five:", ", ".join(f"{s[0]:.3f}" for s in same[:5]))
    print(f"different-article pairs: {len(different)}; containment max {max(different):.3f}, "
          f"99.9th pct {np.percentile(different, 99.9):.3f}, 99th pct "
          f"{np.percentile(different, 99):.3f}, median {np.median(different):.4f}")
    print("  highest five:", ", ".join(f"{v:.3f}" for v in sorted(different)[-5:][::-1]))
    print(f"gap: ({max(different):.3f}, {same[0][0]:.3f}); chosen COPY_THRESHOLD {COPY_THRESHOLD}")
    best_jaccard = sorted(s[1] for s in same)
    print(f"copy pairs' best Jaccard (whole or first {LEAD_SHINGLES} shingles): min "
          f"{best_jaccard[0]:.3f}, lowest five {', '.join(f'{v:.3f}' for v in best_jaccard[:5])}")
    longest = {max(group, key=lambda n: len(prints[n])) for group in truth}
    print("teasers (first N words of each article) against every other article:")
    for count in (5, 6, 8, 10, 12, 15, 17, 20, 30):
        worst = 0.0
        for name in longest:
            teaser = fingerprint(" ".join(words(texts[name])[:count]))
            for other, fp in prints.items():
                if group_of[other] != group_of[name] and len(teaser):
                    worst = max(worst, containment(teaser, fp))
        print(f"  {count:2d} words ({count - 2:2d} shingles): best chance containment {worst:.3f}")
    print(f"chosen MIN_SHINGLES {MIN_SHINGLES}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on copies-dev and print its scores; 1 under the quality bar."""
    parser = bench_parser(
        __doc__, quick=f"the pages of every {QUICK_EVERY}th article of copies-dev only"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--index", action="store_true", help="group through the LSH index")
    args = parser.parse_args(argv)
    folder = args.data / "copies-dev"
    truth: list[list[str]] = json.loads(
        (folder / "groups.json").read_text(encoding="utf-8")
    )["groups"]
    if args.quick:
        truth = truth[::QUICK_EVERY]
    chosen = {name for group in truth for name in group}
    pages = sorted(page for page in (folder / "pages").iterdir() if page.name in chosen)
    started = time.perf_counter()
    if args.index:
        files = [read_article_file(page) for page in pages]
        prints = [fingerprint(text) for text, _ in files]
        sites = [site for _, site in files]
        predicted = [[pages[i].name for i in group]
                     for group in group_fingerprints(prints, use_index=True, sites=sites)]
    else:
        out = io.StringIO()
        status = run_copies_command([str(page) for page in pages], stdout=out)
        if status != 0:
            return status
        predicted = [[Path(name).name for name in group]
                     for group in json.loads(out.getvalue())["groups"]]
    elapsed = time.perf_counter() - started
    precision, recall, f1 = score(predicted, truth)
    path = "LSH index" if args.index else "all pairs"
    print(f"pages {len(pages)}, groups predicted {len(predicted)} (truth {len(truth)}), "
          f"{path}, {elapsed:.2f} s")
    print(f"pairwise precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    write_figures(args.json, {
        "pages": len(pages), "groups_predicted": len(predicted), "groups_truth": len(truth),
        "path": path, "seconds": elapsed, "precision": precision, "recall": recall, "f1": f1,
    })
    if args.calibrate:
        calibrate(pages, truth)
    return 0 if precision >= MIN_PRECISION and recall >= MIN_RECALL else 1


if __name__ == "__main__":
    sys.exit(main())
