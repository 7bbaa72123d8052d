"""Which gateway shards a process runs: --shards/--shard-count, else NEWSDESK_SHARDS and
NEWSDESK_SHARD_COUNT, else every shard Discord recommends."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.roles import ShardPlan
from bot.app.settings import Settings
from bot.core.errors import InvalidInput


def settings_from(environment: dict[str, str], tmp_path: Path) -> Settings:
    return Settings.from_environment(environment, dotenv_path=tmp_path / "absent.env")


def test_ranges_and_lists_become_discord_py_options() -> None:
    plan = ShardPlan.parse("0-2,5", 8)
    assert plan == ShardPlan((0, 1, 2, 5), 8)
    assert plan.client_options() == {"shard_ids": [0, 1, 2, 5], "shard_count": 8}
    assert ShardPlan.parse(None, None).client_options() == {}
    assert ShardPlan.parse(None, 4).client_options() == {"shard_count": 4}


def test_the_environment_gives_the_shards_and_the_flags_win(tmp_path: Path) -> None:
    settings = settings_from({"NEWSDESK_SHARDS": "4-7", "NEWSDESK_SHARD_COUNT": "8"}, tmp_path)
    assert (settings.shards, settings.shard_count) == ("4-7", 8)
    assert ShardPlan.chosen(settings, None, None) == ShardPlan((4, 5, 6, 7), 8)
    assert ShardPlan.chosen(settings, "0-1", None) == ShardPlan((0, 1), 8)
    assert ShardPlan.chosen(settings, None, 16) == ShardPlan((4, 5, 6, 7), 16)
    assert ShardPlan.chosen(settings_from({}, tmp_path), None, None) == ShardPlan()


@pytest.mark.parametrize(
    ("shards", "count", "sentence"),
    [
        ("0-3", None, "needs --shard-count"),
        ("0-8", 8, "Shard 8 is outside --shard-count 8"),
        ("3-1", 8, "takes a range like 0-15"),
        ("zero", 8, "takes a range like 0-15"),
        (None, 0, "--shard-count must be at least 1"),
    ],
)
def test_impossible_plans_are_refused_with_a_sentence(
    shards: str | None, count: int | None, sentence: str
) -> None:
    with pytest.raises(InvalidInput, match=sentence):
        ShardPlan.parse(shards, count)


def test_a_shard_count_below_one_in_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="NEWSDESK_SHARD_COUNT must be at least 1"):
        settings_from({"NEWSDESK_SHARD_COUNT": "0"}, tmp_path)
