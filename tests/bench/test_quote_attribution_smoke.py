"""The quote-attribution bench as people type it (``python -m bench.quote_attribution
--quick``): the copies-dev part of the labelled dev set, at the issue's bar."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_runs import run_quick_bench, shared_data


def test_attribution_on_the_copies_dev_labels(tmp_path: Path) -> None:
    shared_data("copies-dev")
    figures = run_quick_bench("quote_attribution", tmp_path)
    assert figures["labelled"] >= 80
    assert figures["precision"] >= 0.95
    assert figures["recall"] >= 0.90
