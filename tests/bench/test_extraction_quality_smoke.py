"""A 40-page slice of the extraction bench (``bench.extraction_quality --quick``): the
pipeline keeps bare trafilatura's recall and leaks no more than it."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_runs import run_bench, shared_data


def test_pipeline_is_not_worse_than_bare_trafilatura_on_40_pages(tmp_path: Path) -> None:
    data = shared_data("trafilatura-eval")
    result = run_bench("extraction_quality", tmp_path, "--data", str(data))
    bare, ours = result["bare"], result["newsdesk"]
    assert result["pages"] == 40
    assert ours["true_positives"] >= bare["true_positives"]
    assert ours["leaks"] <= bare["leaks"]
    assert ours["recall"] > 0.8  # the snippets are found, not just as few as by trafilatura
    assert ours["labelled"] == bare["labelled"] > 0
