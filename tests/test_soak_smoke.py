"""The soak bench in quick mode: 50 servers, 250 subscriptions over 100 live feeds, commands.

Behaviour only (timing and memory are the bench's business): every expected post delivered
exactly once and nothing else posted, no 429, every command answered.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench(name: str) -> ModuleType:
    """Import ``bench/<name>.py`` (the benches import each other as top-level modules)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(150)
async def test_quick_soak_posts_everything_once_and_answers_every_command(
    tmp_path: Path,
) -> None:
    soak = load_bench("soak")
    result = await soak.run_soak(
        soak.QUICK, soak.QUICK_SECONDS, soak.QUICK_SAMPLE_SECONDS, tmp_path
    )
    t = result.tally
    assert result.setup["bot_guilds"] == soak.QUICK.guilds
    assert t.expected > 100  # items really flowed
    assert t.delivered == t.expected
    assert t.lost == 0
    assert t.duplicated == 0
    assert t.repeated_nonces == 0
    assert t.unexpected == 0
    assert result.sandbox["rate_limit_hits"] == 0
    assert result.sandbox["unknown_routes"] == []
    assert result.commands["skipped"] == 0
    assert result.commands["sent"] >= 100
    assert result.outcomes == {"ok": result.commands["sent"]}
    assert result.first_response["count"] == result.commands["sent"]
    assert result.farm["article_200"] > 0  # pages were read before posting
    assert result.behaviour_ok
