"""The distributed benches in quick mode, every role in a process of its own over PostgreSQL.

Behaviour only (timing is the benches' business): the soak, with role processes killed and
replaced, posts every expected post exactly once with no 429 and answers every command that
reached a live shard, and every killed role is replaced and catches up; the burst, sent by
the deliverer process while two gateway processes answer commands, delivers every post once
with no 429 and every command answered.

Both are marked ``alone``: the suite's command leaves them out and ``pytest -m alone -n 0``
runs them afterwards (`.ci/run` does both).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.bench.bench_runs import figures_written, load_bench, run_bench

if TYPE_CHECKING:
    from tests.fixtures.postgres import PostgresServer

# Every role is a process of its own beside the sandbox: run alone (see the `alone` mark in
# tests/conftest.py), so that the only load on the machine is the deployment under test.
pytestmark = [pytest.mark.postgres, pytest.mark.alone]


@pytest.mark.timeout(240)
def test_quick_distributed_soak_survives_kills_with_every_post_once(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    out = tmp_path / "soak.json"
    load_bench("soak").main(
        ["--quick", "--json", str(out), "--distributed", "--postgres",
         postgres_server.admin_address]
    )
    result = figures_written(out)
    t = result["tally"]
    distributed = result["distributed"]
    assert t["expected"] > 100  # items really flowed
    assert t["delivered"] == t["expected"]
    assert t["duplicated"] == 0
    assert t["repeated_nonces"] == 0
    assert t["unexpected"] == 0
    assert result["sandbox"]["unknown_routes"] == []
    assert result["commands"]["sent"] >= 100
    assert result["outcomes"] == {"ok": result["commands"]["sent"]}
    # Both gateway clusters ran: every shard identified, some more than once after kills.
    assert {shard for shard, _, _ in result["sandbox"]["identifies"]} == set(range(8))
    assert len(distributed["kills"]) >= 2
    assert all(kill["recovered"] for kill in distributed["kills"])
    assert distributed["unexpected_exits"] == []
    assert set(distributed["per_slot"]) == {
        "gateway-0", "gateway-1", "poller-0", "poller-1", "reader-0", "reader-1", "desk-0",
        "desk-1", "deliverer-0", "deliverer-1",
    }
    # Issue 18: a shared turn judged late from its answer's arrival hid the reservation's
    # round trip, and a process sent 51 requests in a second (a few global 429s a run).
    assert result["sandbox"]["rate_limit_hits"] == 0
    assert result["behaviour_ok"]


@pytest.mark.timeout(180)
def test_quick_distributed_burst_delivers_once_while_two_gateways_answer(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    result = run_bench(
        "delivery_burst", tmp_path, "--distributed", "--postgres", postgres_server.admin_address
    )
    t = result["tally"]
    assert result["finished"]
    assert t["delivered"] == t["expected"] == 100
    assert t["duplicated"] == 0
    assert result["rate_limit_hits"] == 0
    assert result["commands"]["sent"] > 0
    assert result["commands"]["outcomes"] == {"ok": result["commands"]["sent"]}
    # Commands came from guilds of both shards, so both gateway processes answered.
    assert set(result["commands"]["answered_by_shard"]) == {"0", "1"}
    assert result["ok"]
