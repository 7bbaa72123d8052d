"""Smoke tests of ``bench.copies_quality`` and ``bench.copies_scale`` in quick mode: the
copies command groups a slice of copies-dev above the quality bar, and the copy index finds
planted copies among synthetic stored articles without a false match."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_runs import load_bench, run_bench, shared_data


def test_quick_copies_quality_holds_the_precision_and_recall_bar(tmp_path: Path) -> None:
    """On every fourth article of copies-dev (all its pages), the command's groups score
    pairwise precision >= 0.99 and recall >= 0.97 against the truth."""
    data = shared_data("copies-dev").parent
    result = run_bench("copies_quality", tmp_path, "--data", str(data))
    assert result["path"] == "all pairs"
    assert result["groups_truth"] == 15
    assert result["pages"] > result["groups_truth"]  # copies are there to be found
    assert result["precision"] >= 0.99
    assert result["recall"] >= 0.97
    assert result["groups_predicted"] == result["groups_truth"]


def test_quick_copies_scale_finds_planted_copies_and_no_stranger(tmp_path: Path) -> None:
    """2,000 stored articles, 35 checks: the republished, spun, excerpted and teased copies
    are found (a 50 % spin may fall under the threshold, as one did at 10,000), the five
    unrelated articles match nothing, and the figures are those of a real index."""
    bench = load_bench("copies_scale")
    result = run_bench("copies_scale", tmp_path)
    [row] = result["sizes"]
    assert row["size"] == bench.QUICK_SIZE
    assert row["false"] == 0
    assert row["found"] + row["missed"] == 30  # six kinds of copy, five each
    assert row["found"] >= 29
    assert row["record_mb"] > 0
    assert row["index_mb"] >= row["record_mb"]  # every shingle is held, plus the band keys
    assert 0 < row["check_median_ms"] <= row["check_p95_ms"]
    assert 0 < row["candidates_mean"] < 10  # LSH narrows 2,000 articles to a handful
    assert result["ratio_largest_to_smallest"] == {}
