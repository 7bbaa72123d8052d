"""The soak bench in quick mode: 50 servers, 250 subscriptions over 100 live feeds, commands.

Behaviour only (timing and memory are the bench's business): every expected post delivered
exactly once and nothing else posted, no 429, every command answered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.bench_runs import load_bench, run_bench


@pytest.mark.timeout(150)
def test_quick_soak_posts_everything_once_and_answers_every_command(tmp_path: Path) -> None:
    quick = load_bench("soak").QUICK
    result = run_bench("soak", tmp_path)
    t = result["tally"]
    commands = result["commands"]
    assert result["setup"]["bot_guilds"] == quick.guilds
    assert t["expected"] > 100  # items really flowed
    assert t["delivered"] == t["expected"]
    assert t["lost"] == 0
    assert t["duplicated"] == 0
    assert t["repeated_nonces"] == 0
    assert t["unexpected"] == 0
    assert result["sandbox"]["rate_limit_hits"] == 0
    assert result["sandbox"]["unknown_routes"] == []
    assert commands["skipped"] == 0
    assert commands["sent"] >= 100
    assert result["outcomes"] == {"ok": commands["sent"]}
    assert result["first_response"]["count"] == commands["sent"]
    assert result["farm"]["article_200"] > 0  # pages were read before posting
    assert result["behaviour_ok"]


def test_the_soak_report_says_when_the_sandbox_served_its_429s() -> None:
    soak = load_bench("soak")
    assert soak.when_refused({"rate_limit_refusals": []}) == ""
    line = soak.when_refused({"rate_limit_refusals": [
        [1_796_300_000.2, "global"], [1_796_300_001.5, "global"],
        [1_796_300_075.0, "POST /channels/{channel_id}/messages"],
    ]})
    assert line.startswith("429s served from 12:13:20 to 12:14:35 UTC (the latest 3)")
    assert '{"12:13": 2, "12:14": 1}' in line
    assert '"global": 2' in line and '"POST /channels/{channel_id}/messages": 1' in line
