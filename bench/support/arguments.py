"""The options every bench takes, with one meaning everywhere, and where the figures go.

- ``--quick``: a small, fast run through the same code path as the full one (a smaller
  world, fewer rounds, a shorter run). The smoke tests in ``tests/bench/`` run every bench
  this way and check its figures, so ``--quick`` must stay quick.
- ``--json PATH``: besides printing them, write the bench's figures to ``PATH`` as JSON (the
  folder is created if needed).

A bench's ``main(argv)`` returns its exit status: 0 when the run did what it measures
without a behaviour failure (lost or doubled posts, wrong answers); each bench's docstring
says what else, if anything, decides it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any


def bench_parser(doc: str | None, *, quick: str) -> argparse.ArgumentParser:
    """Return an argument parser for a bench, with ``--quick`` and ``--json`` already on it.

    ``doc`` is the bench's module docstring (its first line describes the parser); ``quick``
    says what the quick run is, e.g. "100 posts over 20 channels".
    """
    first_line = (doc or "").strip().splitlines()[0] if doc and doc.strip() else None
    parser = argparse.ArgumentParser(description=first_line)
    parser.add_argument(
        "--quick", action="store_true",
        help=f"a small, fast run of the same code path: {quick} (what the smoke tests run)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON"
    )
    return parser


def write_figures(path: Path | None, figures: Any) -> None:
    """Write ``figures`` (a dataclass or a JSON value) to ``path`` as JSON; nothing without a path.

    Values JSON cannot hold (paths, dates) are written as their text.
    """
    if path is None:
        return
    if dataclasses.is_dataclass(figures) and not isinstance(figures, type):
        figures = dataclasses.asdict(figures)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
