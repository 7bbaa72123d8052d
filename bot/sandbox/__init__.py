"""A local Discord-compatible server (REST + gateway) the unmodified discord.py bot logs into.

Public API: `Sandbox`, `RecordedMessage`, `CommandOutcome`, `SandboxWorld`,
`parse_command_line` / `ParsedCommandLine` / `CommandLineError`, and the
pure permission maths in `bot.sandbox.permissions`.
"""

from bot.sandbox.commands import CommandLineError, ParsedCommandLine, parse_command_line
from bot.sandbox.records import CommandOutcome, RecordedMessage
from bot.sandbox.server import Sandbox
from bot.sandbox.world import SandboxWorld

__all__ = [
    "CommandLineError",
    "CommandOutcome",
    "ParsedCommandLine",
    "RecordedMessage",
    "Sandbox",
    "SandboxWorld",
    "parse_command_line",
]
