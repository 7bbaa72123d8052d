"""A local Discord-compatible server (REST + gateway) the unmodified discord.py bot logs into.

Public API: `Sandbox`, `RecordedMessage`, `RecordedThread`, `CommandOutcome`, `SandboxWorld`,
`ShardingOptions`, `parse_command_line` / `ParsedCommandLine` / `CommandLineError`, the
exceptions `CommandRefused` and `InteractionFailed` (raised by
`Sandbox.autocomplete`), and the pure permission maths in
`bot.sandbox.fake_discord.permissions`.

Every limit Discord documents for what a bot sends is checked in `discord_limits.py` (one
module); `openapi_check.py` also checks each body against Discord's own OpenAPI description
when a sandbox is given its folder (`Sandbox(openapi_spec=...)`, as the tests do).
"""

from bot.sandbox.fake_discord.commands import (
    CommandLineError,
    ParsedCommandLine,
    parse_command_line,
)
from bot.sandbox.fake_discord.interactions import InteractionFailed
from bot.sandbox.fake_discord.records import (
    CommandOutcome,
    RecordedMessage,
    RecordedThread,
    RefusedRequest,
)
from bot.sandbox.fake_discord.server import Sandbox
from bot.sandbox.fake_discord.state import ShardingOptions
from bot.sandbox.fake_discord.validation import CommandRefused
from bot.sandbox.fake_discord.world import SandboxWorld

__all__ = [
    "CommandLineError",
    "CommandOutcome",
    "CommandRefused",
    "InteractionFailed",
    "ParsedCommandLine",
    "RecordedMessage",
    "RecordedThread",
    "RefusedRequest",
    "Sandbox",
    "SandboxWorld",
    "ShardingOptions",
    "parse_command_line",
]
