"""Smoke test of ``bench.parse_throughput --quick``: both parsers read a slice of the real
feeds, and Newsdesk's ``parse_feed`` finds every entry feedparser does."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_runs import run_bench, shared_data


def test_quick_parse_throughput_reads_every_feed_of_the_slice(tmp_path: Path) -> None:
    data = shared_data("real-feeds")
    result = run_bench("parse_throughput", tmp_path, "--data", str(data))
    ours, theirs = result["best"]["newsdesk parse_feed"], result["best"]["feedparser.parse"]
    assert result["feeds"] == 12
    assert result["rounds"] == 1
    assert ours["no_feed"] == theirs["no_feed"] == 0  # every feed of the slice is a feed
    assert ours["entries"] >= theirs["entries"] > result["feeds"]
    assert ours["seconds"] > 0 and theirs["seconds"] > 0
    assert result["ratio_newsdesk_to_feedparser"] > 0
