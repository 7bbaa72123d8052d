"""parse_command_line: a pure function, table-tested."""

from __future__ import annotations

import pytest

from bot.sandbox.fake_discord import CommandLineError, ParsedCommandLine, parse_command_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/ping", ParsedCommandLine(("ping",), {})),
        ("ping", ParsedCommandLine(("ping",), {})),
        ("/Feed ADD", ParsedCommandLine(("feed", "add"), {})),
        (
            "/feed add url:https://a.b/c?x=1 channel:#news backfill:3",
            ParsedCommandLine(
                ("feed", "add"), {"url": "https://a.b/c?x=1", "channel": "#news", "backfill": "3"}
            ),
        ),
        (
            '/note text:"value with spaces"',
            ParsedCommandLine(("note",), {"text": "value with spaces"}),
        ),
        ('/note text:"say \\"hi\\""', ParsedCommandLine(("note",), {"text": 'say "hi"'})),
        ('/note text:"back\\\\slash"', ParsedCommandLine(("note",), {"text": "back\\slash"})),
        ('/note text:""', ParsedCommandLine(("note",), {"text": ""})),
        ("/x a:1:2", ParsedCommandLine(("x",), {"a": "1:2"})),
        ("  /x   a:1   b:@admin  ", ParsedCommandLine(("x",), {"a": "1", "b": "@admin"})),
    ],
)
def test_parses(line: str, expected: ParsedCommandLine) -> None:
    assert parse_command_line(line) == expected


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("", "Type a command"),
        ("/", "Type a command"),
        ('/note text:"unterminated', "closing quote"),
        ("/x a:1 a:2", "given twice"),
        ("/x a:1 stray", "not an option"),
        ('/x a:"q"b', "space after the closing quote"),
        ("/x! a:1", "not a valid command"),
        ("a:1", "Start with the command name"),
    ],
)
def test_refuses_bad_syntax(line: str, fragment: str) -> None:
    with pytest.raises(CommandLineError, match=fragment):
        parse_command_line(line)
