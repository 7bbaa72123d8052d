"""Smoke test of ``bench.follow_matching`` and ``bench.search_latency`` in quick mode:
behaviour (planted matches found, planted phrase searched), never timing."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_runs import load_bench, run_bench, run_quick_bench


def test_quick_follow_matching_finds_the_planted_matches(tmp_path: Path) -> None:
    """Alias, phrase, person and subscription-limited follows post; a follow limited to
    another feed, one excluded by its filter and one whose topic is absent do not.

    This one runs the bench as the command people type (``python -m bench.follow_matching
    --quick --json PATH``), so the package runs from the repository root as documented."""
    result = run_quick_bench("follow_matching", tmp_path, "--db", str(tmp_path / "f.sqlite3"))
    planted = result["planted"]
    ids = planted["follow_ids"]
    posted = set(planted["posted_follow_ids"])
    assert posted == set(planted["expected_follow_ids"])
    assert ids["acronym_via_alias"] in posted
    assert ids["phrase_across_lines"] in posted
    assert ids["limited_here"] in posted
    assert ids["limited_elsewhere"] not in posted
    assert ids["excluded_by_filter"] not in posted
    assert ids["not_named"] not in posted
    assert planted["pinged_roles"] == [720_000_000_000_000_000 + 999]

    assert result["follows"] == 100 * 10 + len(ids)
    assert result["candidates"]["max"] > 0
    assert result["posts"] > 0  # the synthetic stream matches some follows
    assert result["routing"]["median_ms"] >= result["matching"]["median_ms"]
    assert result["busiest_feed"]["candidates"] >= result["candidates"]["median"]
    assert result["before"]["same_posts"]  # the index posts what matching every follow did
    assert result["examined"]["max"] < result["candidates"]["max"]


def test_quick_search_finds_the_planted_phrase(tmp_path: Path) -> None:
    """The planted phrase is found with its snippet by a server on its feed, by nobody else;
    every kind of query ran; every page passed the bench's checks (the server's feeds, the
    days, page 2 after page 1); a stop word is served newest first alone and left out
    beside another word."""
    result = run_bench("search_latency", tmp_path, "--db-file", str(tmp_path / "s.sqlite3"))
    planted = result["planted"]
    assert planted["total"] == 25
    assert planted["hits"] == 5
    assert planted["snippets_marked"] == 5
    assert planted["all_feed_1"]
    assert planted["outsider_total"] == 0

    assert result["articles"] == load_bench("search_latency").QUICK_ARTICLES
    frequency = result["document_frequency"]
    assert frequency["stop word"] > frequency["common word"] > frequency["mid word"]
    assert frequency["mid word"] > frequency["rare word"] > 0
    assert frequency["phrase"] > 0
    assert all(row["n"] == 5 for row in result["by_kind"].values())
    assert result["by_kind"]["stop word"]["median_total"] > 0
    assert result["problems"] == []
    assert list(result["served"]["stop word"]) == ["newest first (every word in most articles)"]
    assert all("left out: " in mode for mode in result["served"]["stop word + mid word"])
