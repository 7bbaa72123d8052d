"""The delivery benches in quick mode: a burst and a crash test against the sandbox process.

Behaviour only (timing is the benches' business): every post delivered exactly once, no
429 in the burst, nothing lost or doubled across SIGKILLs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.bench_runs import load_bench, run_bench


@pytest.mark.timeout(90)
def test_quick_burst_delivers_every_post_once_without_a_429(tmp_path: Path) -> None:
    result = run_bench("delivery_burst", tmp_path)
    tally = result["tally"]
    assert result["finished"]
    assert tally["expected"] == result["posts"] == 100
    assert tally["delivered"] == 100
    assert tally["lost"] == 0
    assert tally["duplicated"] == 0
    assert tally["repeated_nonces"] == 0
    assert tally["unexpected"] == 0
    assert result["outbox_states"] == {"sent": 100}
    assert result["rate_limit_hits"] == 0
    assert result["invalid_requests"] == 0


@pytest.mark.timeout(120)
def test_quick_crash_test_loses_and_doubles_nothing(tmp_path: Path) -> None:
    quick = load_bench("delivery_crash").QUICK
    result = run_bench("delivery_crash", tmp_path)
    tally = result["tally"]
    assert len(result["kills"]) == quick["kills"]
    assert result["kills_during_burst"] >= 1
    assert result["drained"]
    assert tally is not None
    assert tally["delivered"] == tally["expected"] == quick["posts"]
    assert tally["lost"] == 0
    assert tally["duplicated"] == 0
    assert tally["repeated_nonces"] == 0
    assert result["outbox_states"] == {"sent": quick["posts"]}
    assert result["message_id_mismatches"] == 0
