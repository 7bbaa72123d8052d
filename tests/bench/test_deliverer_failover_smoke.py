"""The deliverer failover bench in quick mode: real processes, a real kill -9.

Two deliverer processes (``newsdesk run --role deliverer``'s code) over one PostgreSQL
database and the sandbox process; the leader is killed mid-burst and the standby finishes.
Behaviour only (the takeover time is the bench's figure): nothing lost, nothing doubled,
every channel's posts in the order of its outbox rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.bench.bench_runs import load_bench, run_bench

if TYPE_CHECKING:
    from tests.fixtures.postgres import PostgresServer


@pytest.mark.postgres
@pytest.mark.timeout(150)
def test_quick_failover_loses_doubles_and_reorders_nothing(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    quick = load_bench("deliverer_failover").QUICK
    result = run_bench(
        "deliverer_failover", tmp_path, "--postgres", postgres_server.admin_address
    )
    tally = result["tally"]
    assert 0 < result["posts_before_kill"] < quick["posts"]  # killed mid-burst
    assert result["takeover_seconds"] is not None
    assert result["drained"]
    assert tally["delivered"] == tally["expected"] == quick["posts"]
    assert tally["lost"] == 0
    assert tally["duplicated"] == 0
    assert tally["unexpected"] == 0
    assert result["channels_out_of_order"] == 0
    assert result["outbox_states"] == {"sent": quick["posts"]}
    assert result["message_id_mismatches"] == 0
    assert result["unexpected_exits"] == 0
