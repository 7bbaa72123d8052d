"""Smoke test of ``bench.polling_pass --quick``: the counts of one pass add up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.bench_runs import run_bench
from tests.fixtures.postgres import PostgresServer


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


@pytest.mark.postgres
def test_quick_polling_pass_with_two_poller_processes_checks_each_feed_once(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Two poller processes (the real role) share 4 farm hosts: every feed checked once."""
    result = run_bench(
        "polling_pass", tmp_path, "--feeds", "120", "--hosts", "4", "--db", "postgres",
        "--postgres", postgres_server.admin_address, "--pollers", "2",
    )
    plan, [one] = result["plan"], result["passes"]
    assert one["pollers"] == 2 and one["finished"]
    assert one["feeds_checked_in_db"] == plan["feeds"] == 120
    reachable = plan["feeds"] - plan["kinds"].get("refused", 0)
    assert one["farm_fetched_once"] == reachable
    assert one["farm_fetched_twice_or_more"] == one["farm_never_fetched"] == 0
    assert one["outbox_rows"] == plan["expected_outbox_rows"] > 0
    assert one["failures_recorded"] == plan["expected_failures"] > 0
    assert one["claims_left"] == one["buckets_held_after_stop"] == 0
    assert one["stopped_cleanly"] == 2
    assert sum(one["feeds_per_poller"]) == 120 and len(one["feeds_per_poller"]) == 2
