"""Quote attribution, measured on the hand-labelled dev set.

Usage (from the repository root)::

    python -m bench.quote_attribution [--data DIR] [--labels PATH] [--show] [--quick]
                                      [--json PATH]

The labels (``tests/fixtures/quotes_dev/labels.json``) name, for about 120 quotations of
``../shared/data/copies-dev`` and ``../shared/data/trafilatura-eval`` pages, the speaker a
reader finds in the text (or none). Each page goes through ``extract_article``, the whole
step; a labelled quotation is the first extracted quote containing its first words.

- precision: of the labelled quotations given a speaker, the share given the right one
  (the label's speaker or one of its aliases, case-folded);
- recall: of the labelled quotations that have a speaker, the share given the right one.

A labelled quotation the extractor does not return counts as given no speaker. ``--show``
prints every miss. ``--quick``: the copies-dev pages only. Exit status 1 below the bar
(precision 0.95, recall 0.90).
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.support.arguments import bench_parser, write_figures
from bot.pipeline.read.extraction import extract_article

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_LABELS = ROOT / "tests" / "fixtures" / "quotes_dev" / "labels.json"
PRECISION_BAR = 0.95
RECALL_BAR = 0.90


@dataclass
class Attribution:
    """The counts behind precision and recall, and the misses to show."""

    labelled: int = 0
    with_speaker: int = 0
    attributed: int = 0
    right: int = 0
    misses: list[str] = field(default_factory=list)

    def precision(self) -> float:
        return self.right / self.attributed if self.attributed else 1.0

    def recall(self) -> float:
        return self.right / self.with_speaker if self.with_speaker else 1.0


def squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _page_html(data: Path, page: str) -> bytes:
    raw = (data / page).read_bytes()
    return gzip.decompress(raw) if page.endswith(".gz") else raw


def _page_urls(data: Path) -> dict[str, str]:
    evaluation = data / "trafilatura-eval" / "evaldata.json"
    if not evaluation.exists():
        return {}
    records: dict[str, dict[str, object]] = json.loads(evaluation.read_text(encoding="utf-8"))
    return {f"trafilatura-eval/html/{record['file']}.gz": url for url, record in records.items()}


def measure(data: Path, labels: list[dict[str, object]]) -> Attribution:
    """Extract every labelled page once and score its labelled quotations."""
    urls = _page_urls(data)
    result = Attribution()
    speakers_by_page: dict[str, list[tuple[str, str | None]]] = {}
    for label in labels:
        page = str(label["page"])
        if page not in speakers_by_page:
            article = extract_article(_page_html(data, page), url=urls.get(page))
            speakers_by_page[page] = [(squash(q.text), q.speaker) for q in article.quotes]
        start = squash(str(label["quote"])).rstrip(" ,.;:")
        found = next((s for text, s in speakers_by_page[page] if start in text), None)
        wanted = label.get("speaker")
        aliases = label.get("aliases")
        names = [wanted, *(aliases if isinstance(aliases, list) else [])]
        accepted = {squash(str(name)) for name in names if name}
        result.labelled += 1
        result.with_speaker += wanted is not None
        result.attributed += found is not None
        right = found is not None and squash(found) in accepted
        result.right += right
        if not right and (found is not None or wanted is not None):
            result.misses.append(
                f"{label['id']} {page}: {label['quote']!r} -> {found!r}, labelled {wanted!r}"
            )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Score attribution on the dev set, print it; 1 when under the bar."""
    parser = bench_parser(__doc__, quick="the copies-dev pages only")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--show", action="store_true", help="print every miss")
    args = parser.parse_args(argv)
    labels: list[dict[str, object]] = json.loads(args.labels.read_text(encoding="utf-8"))[
        "quotes"
    ]
    if args.quick:
        labels = [label for label in labels if str(label["page"]).startswith("copies-dev/")]
    result = measure(args.data, labels)
    print(
        f"{result.labelled} labelled quotations, {result.with_speaker} with a speaker; "
        f"{result.attributed} attributed, {result.right} rightly"
    )
    print(f"precision {result.precision():.3f} (bar {PRECISION_BAR})")
    print(f"recall    {result.recall():.3f} (bar {RECALL_BAR})")
    if args.show:
        print("\n".join(result.misses))
    write_figures(args.json, {
        "labelled": result.labelled, "with_speaker": result.with_speaker,
        "attributed": result.attributed, "right": result.right,
        "precision": result.precision(), "recall": result.recall(), "misses": result.misses,
    })  # fmt: skip
    met = result.precision() >= PRECISION_BAR and result.recall() >= RECALL_BAR
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
