"""Modals: the bot opens one (callback 9), a person fills it in (interaction type 5)."""

from __future__ import annotations

import pytest

from bot.sandbox.fake_discord.message_limits import check_modal
from bot.sandbox.fake_discord.payloads import JSON
from tests.sandbox.conftest import RunningBot

QUICK = 5.0


async def test_command_opens_a_modal_and_the_submission_is_answered(running: RunningBot) -> None:
    sandbox = running.sandbox
    opened = await sandbox.run_command("/feedback", user="member", timeout=QUICK)
    assert not opened.timed_out and opened.messages == []
    assert opened.modal is not None
    assert (opened.modal["custom_id"], opened.modal["title"]) == ("feedback", "Send feedback")
    submitted = await sandbox.submit_modal(
        "feedback", {"headline": "Typo", "body": "In the third line"}, user="member", timeout=QUICK
    )
    assert submitted.contents == ["thanks: Typo / In the third line"]
    assert submitted.messages[0].ephemeral
    again = await sandbox.submit_modal("feedback", {"headline": "x"}, user="member")
    assert again.refused == "member has no open form 'feedback'."


async def test_optional_input_may_be_left_empty(running: RunningBot) -> None:
    await running.sandbox.run_command("/feedback", timeout=QUICK)
    outcome = await running.sandbox.submit_modal("feedback", {"headline": "Hi"}, timeout=QUICK)
    assert outcome.contents == ["thanks: Hi / -"]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({}, "'Headline' is required"),
        ({"headline": "x" * 21}, "at most 20 characters"),
        ({"headline": "ok", "body": "abc"}, "at least 5 characters"),
        ({"headline": "ok", "colour": "red"}, "no field 'colour'"),
    ],
)
async def test_the_client_refuses_invalid_values(
    running: RunningBot, values: dict[str, str], fragment: str
) -> None:
    await running.sandbox.run_command("/feedback", timeout=QUICK)
    outcome = await running.sandbox.submit_modal("feedback", values, timeout=QUICK)
    assert outcome.refused is not None and fragment in outcome.refused, outcome.refused


async def test_only_the_user_who_saw_the_modal_can_submit_it(running: RunningBot) -> None:
    await running.sandbox.run_command("/feedback", user="admin", timeout=QUICK)
    outcome = await running.sandbox.submit_modal("feedback", {"headline": "x"}, user="member")
    assert outcome.refused == "member has no open form 'feedback'."


async def test_select_inside_a_label(running: RunningBot) -> None:
    sandbox = running.sandbox
    opened = await sandbox.run_command("/desk", timeout=QUICK)
    assert opened.modal is not None and opened.modal["components"][0]["type"] == 18
    wrong = await sandbox.submit_modal("desk-form", {"desk": ["sport"]})
    assert wrong.refused is not None and "choose among asia, tech" in wrong.refused
    outcome = await sandbox.submit_modal("desk-form", {"desk": ["tech"]}, timeout=QUICK)
    assert outcome.contents == ["desk tech"]


async def test_modal_from_a_button_can_edit_that_message(running: RunningBot) -> None:
    sandbox = running.sandbox
    [message] = (await sandbox.run_command("/formbutton", timeout=QUICK)).messages
    clicked = await sandbox.click(message.id, "open-form", timeout=QUICK)
    assert clicked.modal is not None and clicked.modal["custom_id"] == "feedback"
    outcome = await sandbox.submit_modal("feedback", {"headline": "From button"}, timeout=QUICK)
    [edit] = outcome.messages
    assert edit.kind == "edit" and edit.edited_message_id == message.id
    assert edit.content == "thanks: From button / -" and edit.components == []


@pytest.mark.parametrize(
    ("modal", "field"),
    [
        ({"custom_id": "f", "title": "t" * 46, "components": [{}]}, "title"),
        ({"custom_id": "f", "title": "t", "components": []}, "components"),
        ({"custom_id": "f", "title": "t", "components": [{}] * 6}, "components"),
        ({"custom_id": "", "title": "t", "components": [{}]}, "custom_id"),
    ],
)
def test_modal_limits(modal: JSON, field: str) -> None:
    error = check_modal(modal)
    assert error is not None and error["code"] == 50035
    assert list(error["errors"]["data"]) == [field]
    assert check_modal({"custom_id": "f", "title": "t", "components": [{}]}) is None
