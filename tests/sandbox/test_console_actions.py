"""The console's person-actions against the sandbox's test bot: forms, buttons by message
number, menus by label, files for a file option; and the prompt redrawn under new posts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.sandbox.console import Console, ScriptError, Terminal
from bot.sandbox.fake_discord import RecordedMessage
from bot.sandbox.session import SessionLog
from tests.sandbox.conftest import RunningBot


def console_for(running: RunningBot, out: io.StringIO, files: Path | None = None) -> Console:
    log = SessionLog(running.sandbox, files_dir=files)
    console = Console(running.sandbox, running.bot, log, terminal=Terminal(out))

    def shown(message: RecordedMessage) -> None:
        console.show_message(log.record(message))

    running.sandbox.on_message(shown)
    return console


async def test_a_form_is_described_then_filled_in_with_modal(running: RunningBot) -> None:
    out = io.StringIO()
    console = console_for(running, out)
    await console.run_line("/feedback")
    assert "Newsdesk opened a form: Send feedback" in out.getvalue()
    assert "headline: Headline (required)" in out.getvalue()
    with pytest.raises(ScriptError, match=r"The form has no field title \(its fields: body"):
        await console.run_line(":modal title=x")
    await console.run_line(':modal headline="Big news" Body="Five or more words"')
    assert running.sandbox.messages[-1].content == "thanks: Big news / Five or more words"

    await console.run_line("/desk")
    await console.run_line(":modal desk=tech")
    assert running.sandbox.messages[-1].content == "desk tech"


async def test_buttons_by_label_or_message_number_and_menus_by_label(
    running: RunningBot,
) -> None:
    out = io.StringIO()
    console = console_for(running, out)
    await console.run_line("/buttons")
    await console.run_line("/buttons")
    assert "[2] #general Newsdesk · reply" in out.getvalue()
    assert "[Confirm]" in out.getvalue()
    assert "· blue — Blue" in out.getvalue()

    await console.run_line(":select Blue on 1")
    assert running.sandbox.messages[-1].content == "picked blue"
    await console.run_line(":click confirm on 1")
    first, second = (m for m in console.log.messages[:2])
    assert (first.content, first.edited) == ("confirmed by admin", True)
    assert second.content == "choose"
    with pytest.raises(ScriptError, match="Message 1 has no button Confirm"):
        await console.run_line(":click Confirm on 1")
    await console.run_line(":click Confirm")  # the latest message that still has it: 2
    assert second.content == "confirmed by admin"


async def test_an_attached_file_fills_the_commands_file_option(
    running: RunningBot, tmp_path: Path
) -> None:
    (tmp_path / "feeds.opml").write_text("<opml version='2.0'/>\n")
    out = io.StringIO()
    console = console_for(running, out)
    await console.run_line(f":attach {tmp_path / 'feeds.opml'}")
    assert "(feeds.opml, 22 bytes, goes to the next command's file option)" in out.getvalue()
    await console.run_line("/feed import channel:#news")
    assert running.sandbox.messages[-1].content == (
        "feeds.opml 22 text/x-opml -> news: <opml version='2.0'/>"
    )


class TypingTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_post_arriving_at_the_prompt_redraws_the_prompt_and_what_was_typed() -> None:
    out = TypingTerminal()
    terminal = Terminal(out, line_buffer=lambda: "/feed li")
    terminal.prompt = "admin in #general> "
    out.write("admin in #general> /feed li")
    terminal.show("[7] #news Newsdesk · post")
    assert out.getvalue() == (
        "admin in #general> /feed li\r\x1b[2K[7] #news Newsdesk · post\n"
        "admin in #general> /feed li"
    )
    plain = io.StringIO()
    piped = Terminal(plain)
    piped.prompt = "member in #news> "
    piped.show("[8] #news Newsdesk · post")
    assert plain.getvalue() == "\n[8] #news Newsdesk · post\nmember in #news> "
