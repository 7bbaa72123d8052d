"""Slash commands end to end: sync, dispatch, replies, refusals, defers, clicks."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from tests.sandbox.conftest import RunningBot

QUICK = 5.0


async def test_sync_stores_schema_with_ids(running: RunningBot) -> None:
    state = running.sandbox.state
    names = {c["name"] for c in state.commands[running.sandbox.world.guild_id]}
    assert {"ping", "configure", "backfill", "feed"} <= names
    configure = next(
        c for c in state.commands[running.sandbox.world.guild_id] if c["name"] == "configure"
    )
    assert configure["default_member_permissions"] == str(1 << 5)


async def test_reply_round_trip(running: RunningBot) -> None:
    outcome = await running.sandbox.run_command("/ping", timeout=QUICK)
    assert outcome.refused is None and not outcome.timed_out
    [reply] = outcome.messages
    assert (reply.kind, reply.content, reply.ephemeral) == ("reply", "pong", False)
    assert reply.interaction_id is not None
    assert reply.channel_id == running.sandbox.world.channel_id("general")


async def test_ephemeral_reply(running: RunningBot) -> None:
    outcome = await running.sandbox.run_command("/secret", user="member", timeout=QUICK)
    [reply] = outcome.messages
    assert reply.ephemeral and reply.content == "only you"


async def test_options_choices_and_ranges(running: RunningBot) -> None:
    sandbox = running.sandbox
    ok = await sandbox.run_command('/backfill count:3 mode:Fast note:"a b"', timeout=QUICK)
    assert ok.contents == ["backfill 3 fast a b"]
    by_value = await sandbox.run_command("/backfill count:0 mode:slow", timeout=QUICK)
    assert by_value.contents == ["backfill 0 slow -"]


async def test_refusals_never_reach_the_bot(running: RunningBot) -> None:
    sandbox = running.sandbox
    cases = {
        "/backfill count:11 mode:fast": "at most 10",
        "/backfill count:-1 mode:fast": "at least 0",
        "/backfill count:two mode:fast": "whole number",
        "/backfill count:1 mode:turbo": "not a choice",
        "/backfill mode:fast": "needs the option count",
        "/backfill count:1 mode:fast colour:red": "no option 'colour'",
        "/nope": "no command /nope",
        "/feed": "needs a subcommand",
        "/feed delete": "no subcommand 'delete'",
        '/ping x:"open': "closing quote",
        "/feed add url:x channel:#nowhere": "no channel #nowhere",
    }
    before = len(sandbox.messages)
    for line, fragment in cases.items():
        outcome = await sandbox.run_command(line, timeout=QUICK)
        assert outcome.refused is not None and fragment in outcome.refused, (line, outcome.refused)
        assert not outcome.messages
    assert len(sandbox.messages) == before


async def test_default_member_permissions(running: RunningBot) -> None:
    sandbox = running.sandbox
    refused = await sandbox.run_command("/configure", user="member", timeout=QUICK)
    assert refused.refused is not None and "Manage Server" in refused.refused
    allowed = await sandbox.run_command("/configure", user="admin", timeout=QUICK)
    assert allowed.contents == ["configured (manage_guild=True)"]


async def test_subcommand_with_channel_option(running: RunningBot) -> None:
    outcome = await running.sandbox.run_command(
        '/feed add url:"http://x/y z" channel:#news', timeout=QUICK
    )
    assert outcome.contents == ["added http://x/y z to news"]


async def test_command_posts_to_another_channel(running: RunningBot) -> None:
    sandbox = running.sandbox
    outcome = await sandbox.run_command(
        f'/announce channel:#news text:"hello <#{sandbox.world.channel_id("tech")}>"',
        timeout=QUICK,
    )
    assert outcome.messages[0].ephemeral
    [post] = await sandbox.wait_for_posts("news", count=1, timeout=QUICK)
    assert sandbox.render_mentions(post.content) == "hello #tech"
    assert sandbox.render_mentions(outcome.messages[0].content) == "posted to #news"


async def test_defer_then_followup(running: RunningBot) -> None:
    outcome = await running.sandbox.run_command("/slow", timeout=QUICK)
    [followup] = outcome.messages
    assert (followup.kind, followup.content, followup.ephemeral) == (
        "followup",
        "done slowly",
        False,
    )
    hidden = await running.sandbox.run_command("/slow hidden:yes", timeout=QUICK)
    assert [m.ephemeral for m in hidden.messages] == [True]


async def test_defer_then_edit_original(running: RunningBot) -> None:
    outcome = await running.sandbox.run_command("/edited", timeout=QUICK)
    [edit] = outcome.messages
    assert edit.kind == "edit" and edit.content == "edited original"
    assert edit.edited_message_id == edit.id


async def test_no_answer_times_out(running: RunningBot) -> None:
    outcome = await running.sandbox.run_command("/silent", timeout=0.5)
    assert outcome.timed_out and not outcome.messages


async def test_click_button_and_select(running: RunningBot) -> None:
    sandbox = running.sandbox
    outcome = await sandbox.run_command("/buttons", timeout=QUICK)
    [message] = outcome.messages
    assert message.components
    picked = await sandbox.click(
        message.id, "colour", values=["blue"], user="member", timeout=QUICK
    )
    assert picked.contents == ["picked blue"] and picked.messages[0].ephemeral
    refused = await sandbox.click(message.id, "colour", values=["green"], timeout=QUICK)
    assert refused.refused is not None
    clicked = await sandbox.click(message.id, "confirm", timeout=QUICK)
    [edit] = clicked.messages
    assert edit.kind == "edit" and edit.content == "confirmed by admin"
    assert edit.edited_message_id == message.id and edit.components == []
    gone = await sandbox.click(message.id, "confirm", timeout=QUICK)
    assert gone.refused is not None


async def test_on_message_callback_sees_everything_in_order(running: RunningBot) -> None:
    seen: list[str] = []
    unsubscribe = running.sandbox.on_message(lambda m: seen.append(m.kind))
    await running.sandbox.run_command("/ping", timeout=QUICK)
    await running.sandbox.run_command("/slow", timeout=QUICK)
    unsubscribe()
    await running.sandbox.run_command("/ping", timeout=QUICK)
    assert seen == ["reply", "followup"]


async def test_command_before_sync_is_unknown(sandbox: Sandbox) -> None:
    outcome = await sandbox.run_command("/ping", timeout=QUICK)
    assert outcome.refused is not None and "no command /ping" in outcome.refused
