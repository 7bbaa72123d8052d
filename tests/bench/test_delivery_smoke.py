"""The delivery benches in quick mode: a burst and a crash test against the sandbox process.

Behaviour only (timing is the benches' business): every post delivered exactly once, no
429 in the burst, nothing lost or doubled across SIGKILLs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench_runs import load_bench


@pytest.mark.timeout(90)
async def test_quick_burst_delivers_every_post_once_without_a_429(tmp_path: Path) -> None:
    burst = load_bench("delivery_burst")
    result = await burst.run_burst(burst.QUICK_POSTS, burst.QUICK_CHANNELS, tmp_path)
    assert result.finished
    assert result.tally.expected == result.posts == 100
    assert result.tally.delivered == 100
    assert result.tally.lost == 0
    assert result.tally.duplicated == 0
    assert result.tally.repeated_nonces == 0
    assert result.tally.unexpected == 0
    assert result.outbox_states == {"sent": 100}
    assert result.rate_limit_hits == 0
    assert result.invalid_requests == 0


@pytest.mark.timeout(120)
async def test_quick_crash_test_loses_and_doubles_nothing(tmp_path: Path) -> None:
    crash = load_bench("delivery_crash")
    quick = crash.QUICK
    result = await crash.run_crash(tmp_path, seed=7, **quick)
    assert len(result.kills) == quick["kills"]
    assert result.kills_during_burst >= 1
    assert result.drained
    assert result.tally is not None
    assert result.tally.delivered == result.tally.expected == quick["posts"]
    assert result.tally.lost == 0
    assert result.tally.duplicated == 0
    assert result.tally.repeated_nonces == 0
    assert result.outbox_states == {"sent": quick["posts"]}
    assert result.message_id_mismatches == 0
