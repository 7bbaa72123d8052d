"""The noisy-neighbour bench in quick mode: every attack of issue 13 runs while server B keeps
working.

Behaviour only (latency, stalls, memory and late posts are the bench's business): every
phase ran, B's commands were all answered and its posts kept arriving, and A got the
sentences it should.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.bench_runs import load_bench, run_bench


@pytest.mark.timeout(240)
def test_quick_noisy_neighbour_keeps_server_b_working(tmp_path: Path) -> None:
    result = run_bench("noisy_neighbour", tmp_path)
    phases = {phase["name"]: phase for phase in result["phases"]}
    assert list(phases) == list(load_bench("noisy_neighbour").ATTACKS)
    for name, phase in phases.items():
        assert phase["commands"] > 0, name
        assert phase["failures"] == [], name
        assert phase["posts"] > 0, name
    assert result["behaviour_ok"]
    refused = " ".join(phases["regex_compile"]["attacker_saw"])
    assert "That pattern repeats too much" in refused
    assert "Added filter" not in refused
    slow = " ".join(phases["slow_summaries"]["attacker_saw"])
    assert "/summarize was used 10 times in this server in the last minute" in slow
