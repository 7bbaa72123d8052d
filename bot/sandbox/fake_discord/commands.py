"""Parsing a typed slash-command line, as a person would type it in Discord.

Syntax: `/path words name:value name:"quoted value"`.
Rules:
- the leading `/` is optional; the path is every word before the first
  `name:value` token (e.g. `/feed add`), lower-cased;
- option names are `[A-Za-z0-9_-]+`; a value runs to the next space unless it
  starts with `"`, in which case it runs to the closing quote, with `\\"` and
  `\\\\` as escapes;
- an option given twice, a path word after an option, an unclosed quote or an
  empty line is a `CommandLineError` whose message is a sentence to show a person;
- the parser is a pure function; it knows nothing about the command schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPTION_NAME = re.compile(r"[A-Za-z0-9_-]+")


class CommandLineError(ValueError):
    """The typed line is not valid command syntax; str(error) is a sentence."""


@dataclass(frozen=True)
class ParsedCommandLine:
    """A command path and its raw option values."""

    path: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)


def _read_quoted(line: str, start: int) -> tuple[str, int]:
    """Read a quoted value whose opening quote is at `start`; return (value, next index)."""
    chars: list[str] = []
    index = start + 1
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line) and line[index + 1] in '"\\':
            chars.append(line[index + 1])
            index += 2
            continue
        if char == '"':
            end = index + 1
            if end < len(line) and not line[end].isspace():
                raise CommandLineError(
                    f"Put a space after the closing quote at position {end + 1}."
                )
            return "".join(chars), end
        chars.append(char)
        index += 1
    raise CommandLineError("A quoted value is missing its closing quote.")


def parse_command_line(line: str) -> ParsedCommandLine:
    """Split a typed command line into its path and options; raise CommandLineError."""
    text = line.strip()
    if text.startswith("/"):
        text = text[1:]
    if not text:
        raise CommandLineError("Type a command, for example /feed list.")
    path: list[str] = []
    options: dict[str, str] = {}
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        match = _OPTION_NAME.match(text, index)
        end = match.end() if match else index
        if match and end < len(text) and text[end] == ":":
            name = match.group(0).lower()
            if name in options:
                raise CommandLineError(f"The option {name} is given twice.")
            value_start = end + 1
            if value_start < len(text) and text[value_start] == '"':
                value, index = _read_quoted(text, value_start)
            else:
                stop = value_start
                while stop < len(text) and not text[stop].isspace():
                    stop += 1
                value, index = text[value_start:stop], stop
            options[name] = value
            continue
        stop = index
        while stop < len(text) and not text[stop].isspace():
            stop += 1
        word = text[index:stop]
        if options:
            raise CommandLineError(
                f"'{word}' is not an option: write it as name:value (or quote the value)."
            )
        if not _OPTION_NAME.fullmatch(word):
            raise CommandLineError(f"'{word}' is not a valid command or subcommand name.")
        path.append(word.lower())
        index = stop
    if not path:
        raise CommandLineError("Start with the command name, for example /feed list.")
    return ParsedCommandLine(tuple(path), options)
