"""Autocomplete (interaction type 4): focused values, validation, and the bot's choices."""

from __future__ import annotations

import pytest

from bot.sandbox.fake_discord import CommandRefused, InteractionFailed
from tests.sandbox.conftest import RunningBot


async def test_choices_come_back_filtered(running: RunningBot) -> None:
    choices = await running.sandbox.autocomplete(
        "/feed remove subscription:ex", focused="subscription", user="admin", channel="general"
    )
    assert choices == [
        {"name": "example.com/rss", "value": "example.com/rss"},
        {"name": "example.org/atom", "value": "example.org/atom"},
    ]


async def test_untyped_focused_option_is_empty(running: RunningBot) -> None:
    choices = await running.sandbox.autocomplete("/feed remove", focused="subscription")
    assert [c["value"] for c in choices] == [
        "example.com/rss",
        "example.org/atom",
        "news.test/feed",
    ]


async def test_other_options_reach_the_namespace(running: RunningBot) -> None:
    choices = await running.sandbox.autocomplete(
        "/feed remove subscription:news channel:#tech", focused="subscription", user="member"
    )
    assert choices == [{"name": "#tech news.test/feed", "value": "news.test/feed"}]


async def test_integer_option_is_focused_raw_and_required_options_may_be_missing(
    running: RunningBot,
) -> None:
    choices = await running.sandbox.autocomplete("/pick count:1", focused="count")
    assert choices == [{"name": "'1' x1", "value": 1}, {"name": "'1' x10", "value": 10}]
    last = [r for r in running.sandbox.state.interactions.all() if r.type == 4][-1]
    [option] = last.payload["data"]["options"]
    assert option == {"name": "count", "type": 4, "value": "1", "focused": True}


@pytest.mark.parametrize(
    ("line", "focused", "user", "fragment"),
    [
        ("/feed remove channel:#news", "channel", "admin", "does not offer suggestions"),
        ("/feed remove", "nope", "admin", "no option 'nope'"),
        ("/feed remove subscription:x channel:#nowhere", "subscription", "admin", "no channel"),
        ("/pick count:1", "count", "member", "Manage Server"),
        ("/nope x:1", "x", "admin", "no command /nope"),
        ('/pick count:"1', "count", "admin", "closing quote"),
    ],
)
async def test_refusals(
    running: RunningBot, line: str, focused: str, user: str, fragment: str
) -> None:
    with pytest.raises(CommandRefused, match=fragment):
        await running.sandbox.autocomplete(line, focused=focused, user=user)


async def test_more_than_25_choices_is_rejected(running: RunningBot) -> None:
    with pytest.raises(InteractionFailed, match="25 or fewer"):
        await running.sandbox.autocomplete("/pick many:n", focused="many")


async def test_wrong_value_type_is_rejected(running: RunningBot) -> None:
    with pytest.raises(InteractionFailed, match="not an integer"):
        await running.sandbox.autocomplete("/pick count:bad", focused="count")


async def test_no_answer_times_out(running: RunningBot) -> None:
    with pytest.raises(TimeoutError):
        await running.sandbox.autocomplete("/pick slow:x", focused="slow", timeout=0.2)
