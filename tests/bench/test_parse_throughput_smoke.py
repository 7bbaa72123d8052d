"""Smoke test of ``bench.parse_throughput --quick``: the three parsers read a slice of the real
feeds, Newsdesk's ``parse_feed`` finds every entry feedparser and fastfeedparser do, and as a
poll uses it cleans only the entries taken as new."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_runs import run_bench, shared_data


def test_quick_parse_throughput_reads_every_feed_of_the_slice(tmp_path: Path) -> None:
    data = shared_data("real-feeds")
    result = run_bench("parse_throughput", tmp_path, "--data", str(data))
    best = result["best"]
    ours, theirs = best["parse_feed, eager"], best["feedparser.parse"]
    poll = best["parse_feed, a poll"]
    fast = best["fastfeedparser.parse"]
    assert result["feeds"] == 12
    assert result["rounds"] == 1
    assert ours["no_feed"] == theirs["no_feed"] == fast["no_feed"] == 0  # all are feeds
    assert ours["entries"] >= theirs["entries"] > result["feeds"]
    assert ours["entries"] == fast["entries"]
    assert ours["seconds"] > 0 and theirs["seconds"] > 0 and fast["seconds"] > 0
    assert result["ratio_newsdesk_to_feedparser"] > 0
    assert result["ratio_newsdesk_to_fastfeedparser"] > 0
    assert poll["no_feed"] == 0 and poll["seconds"] > 0
    assert result["ratio_poll_to_fastfeedparser"] > 0
    assert result["feeds"] <= poll["entries"] < ours["entries"]  # the new ones only
    assert result["handed_to_feedparser"] == 0  # the slice's feeds all take the fast path
