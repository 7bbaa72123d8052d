"""Allowances for on-demand work: per member, per server, the sentence saying when to retry,
and a memory that forgets members and servers whose uses expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import LimitReached, NotAllowed
from bot.features.articles import SUMMARIZE_IN_SERVERS_ONLY, ReadingService
from bot.features.on_demand import (
    SUMMARIZE_LIMITS,
    Allowance,
    OnDemandBudget,
    OnDemandLimits,
)
from bot.pipeline.fetch.fetcher import Fetcher, FetchSettings
from bot.pipeline.worker_pool import WorkerPool

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMITS = OnDemandLimits(
    member=Allowance(2, timedelta(minutes=1)), server=Allowance(3, timedelta(minutes=1))
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_a_member_beyond_their_allowance_is_told_when_to_retry() -> None:
    clock = Clock()
    budget = OnDemandBudget("/summarize", LIMITS, clock)
    budget.claim(1, 10)
    clock.now += timedelta(seconds=15)
    budget.claim(1, 10)
    clock.now += timedelta(seconds=5)
    with pytest.raises(LimitReached) as refused:
        budget.claim(1, 10)
    assert refused.value.message == (
        "You have used /summarize 2 times in the last minute: try again in 40 seconds."
    )
    # The refusal did not count; the first use expires 60 s after it was made.
    clock.now = START + timedelta(seconds=60)
    budget.claim(1, 10)


def test_a_server_has_an_allowance_shared_by_its_members() -> None:
    clock = Clock()
    budget = OnDemandBudget("/summarize", LIMITS, clock)
    for member in (10, 11, 12):
        budget.claim(1, member)
    with pytest.raises(LimitReached) as refused:
        budget.claim(1, 13)
    assert refused.value.message == (
        "/summarize was used 3 times in this server in the last minute, the most allowed: "
        "try again in 60 seconds."
    )
    budget.claim(2, 13)  # another server is not affected


def test_the_budget_forgets_members_and_servers_once_their_uses_expire() -> None:
    clock = Clock()
    budget = OnDemandBudget("/summarize", LIMITS, clock)
    for guild in range(500):
        budget.claim(guild, guild)
    assert budget.keys_remembered == 1000
    clock.now += timedelta(minutes=2)
    budget.claim(9999, 1)
    assert budget.keys_remembered == 2


def test_the_summarize_defaults_are_per_member_and_per_server() -> None:
    assert SUMMARIZE_LIMITS.member.uses < SUMMARIZE_LIMITS.server.uses
    assert SUMMARIZE_LIMITS.member.per >= timedelta(minutes=1)


async def test_summarize_in_a_direct_message_is_refused_with_a_sentence() -> None:
    settings = FetchSettings()
    async with Fetcher.create_session(settings) as session:
        reading = ReadingService(
            None, Fetcher(session, settings), Clock(), WorkerPool(1, 1.0)  # type: ignore[arg-type]
        )
        with pytest.raises(NotAllowed) as refused:
            await reading.summarize("https://example.com/a", guild_id=None, member_id=1)
    assert refused.value.message == SUMMARIZE_IN_SERVERS_ONLY
    assert "not in direct messages" in SUMMARIZE_IN_SERVERS_ONLY
