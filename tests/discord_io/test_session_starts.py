"""The identify gate: each shard waits for its bucket (``shard_id % max_concurrency``), and
no shard identifies past the day's session starts until Discord says they refilled."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from bot.discord_io.session_starts import IdentifyGate, LocalIdentifyTurns, SessionStartLimit
from storage.identify_turns import IdentifyTurn


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class RecordingTurns:
    """Local turns, with every bucket asked for and every turn given kept."""

    inner: LocalIdentifyTurns
    buckets: list[int] = field(default_factory=list)
    given: list[IdentifyTurn] = field(default_factory=list)

    async def prepare(self, max_concurrency: int, total: int) -> None:
        await self.inner.prepare(max_concurrency, total)

    async def record_limit(self, total: int, remaining: int, reset_after_seconds: float) -> None:
        await self.inner.record_limit(total, remaining, reset_after_seconds)

    async def take(self, bucket: int, spacing_seconds: float, reserve: int) -> IdentifyTurn:
        self.buckets.append(bucket)
        turn = await self.inner.take(bucket, spacing_seconds, reserve)
        self.given.append(turn)
        return turn


@dataclass
class DiscordLimits:
    """What GET /gateway/bot answers, one answer per call (the last one repeats)."""

    answers: list[SessionStartLimit]
    calls: int = 0

    async def __call__(self) -> SessionStartLimit:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return answer


async def test_shards_take_turns_in_their_buckets() -> None:
    clock = FakeClock()
    turns = RecordingTurns(LocalIdentifyTurns(clock))
    discord = DiscordLimits([SessionStartLimit(1000, 1000, 0.0, max_concurrency=2)])
    # A tiny spacing: the gate really sleeps; the clock shows the turns it handed out.
    gate = IdentifyGate(turns, discord, spacing_seconds=0.001)
    for shard in range(5):
        await gate.wait_for_turn(shard)
    assert turns.buckets == [0, 1, 0, 1, 0]
    moments = [turn.at for turn in turns.given]
    assert moments == pytest.approx([1000.0, 1000.0, 1000.001, 1000.001, 1000.002])
    assert [turn.remaining for turn in turns.given] == [999, 998, 997, 996, 995]
    assert discord.calls == 1  # read once, at the first identify


async def test_spent_session_starts_keep_the_shard_offline_until_discord_refills(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    turns = RecordingTurns(LocalIdentifyTurns(clock))
    discord = DiscordLimits([
        SessionStartLimit(1000, 11, 3600.0, max_concurrency=1),
        SessionStartLimit(1000, 10, 3500.0, max_concurrency=1),  # our start counted
        SessionStartLimit(1000, 1000, 86_400.0, max_concurrency=1),
    ])
    gate = IdentifyGate(turns, discord, spacing_seconds=0.001, spent_recheck_seconds=0.001)
    await gate.wait_for_turn(0)  # 11 left, 10 kept in reserve: one start
    with caplog.at_level(logging.ERROR):
        await gate.wait_for_turn(1)
    refused = [turn for turn in turns.given if turn.wait_seconds is None]
    assert len(refused) == 2  # refused, asked Discord (still spent), refused, asked: refilled
    assert discord.calls == 3
    assert turns.given[-1].wait_seconds is not None and turns.given[-1].remaining == 999
    assert "today's session starts are spent" in caplog.text
