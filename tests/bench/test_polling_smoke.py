"""Smoke test of ``bench.polling_pass --quick``: the counts of one pass add up."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_runs import run_bench


def test_quick_polling_pass_counts_add_up(tmp_path: Path) -> None:
    """Every feed is checked once; changed feeds queue posts; failing ones record errors."""
    result = run_bench("polling_pass", tmp_path)
    kinds = result["kinds"]
    feeds = result["feeds"]

    assert result["finished"]
    assert result["due_before"] == feeds
    assert result["feeds_checked"] == feeds
    assert result["feeds_checked_in_db"] == feeds
    assert result["still_due"] == 0
    # One fetch per feed: the farm saw each of its feeds once (refused ones never reach it).
    assert result["server_requests"] == feeds - kinds["refused"]
    assert result["server_counts"]["304"] == kinds["unchanged"] + kinds["slow"]  # hang: too late
    assert result["server_counts"]["200"] == kinds["changed"]

    assert kinds["changed"] > 0
    assert result["outbox_rows"] == result["expected_outbox_rows"] > kinds["changed"]
    assert result["outbox_ids"] == result["outbox_rows"]

    failing = kinds["error"] + kinds["refused"] + kinds["hang"]
    assert failing > 0
    assert result["failures_recorded"] == result["expected_failures"] == failing
    assert result["feeds_failed"] == failing
