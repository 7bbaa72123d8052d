"""The gateway identify bench in quick mode: two gateway processes (``newsdesk run --role
gateway``'s code) over one PostgreSQL database, one shard each in one rate-limit bucket.
Behaviour only (the span is the bench's figure): both shards identify once, no IDENTIFY is
refused, and the two are at least Discord's 5 s apart though separate processes sent them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.sandbox.fake_discord.gateway import IDENTIFY_WINDOW_SECONDS
from tests.bench.bench_runs import run_bench

if TYPE_CHECKING:
    from tests.fixtures.postgres import PostgresServer


@pytest.mark.postgres
@pytest.mark.timeout(150)
def test_quick_identify_keeps_discords_bucket_rule_across_processes(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    figures = run_bench("gateway_identify", tmp_path, "--postgres", postgres_server.admin_address)
    [run] = figures["runs"]
    assert (run["shards"], run["processes"], run["max_concurrency"]) == (2, 2, 1)
    assert run["identifies"] == 2
    assert run["refused_identifies"] == 0
    assert run["smallest_bucket_gap_seconds"] >= IDENTIFY_WINDOW_SECONDS
