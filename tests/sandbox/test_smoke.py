"""Login, sync and one command round trip."""

from __future__ import annotations

from tests.sandbox.conftest import RunningBot


async def test_ping(running: RunningBot) -> None:
    outcome = await running.sandbox.run_command("/ping", timeout=5)
    assert outcome.refused is None, outcome
    assert not outcome.timed_out
    assert [m.content for m in outcome.messages] == ["pong"]
