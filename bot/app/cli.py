"""The ``newsdesk`` command (also ``python -m bot``): ``run`` on Discord, ``sandbox`` offline."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import discord

from bot.app.logging_setup import configure_logging
from bot.app.runtime import open_newsdesk
from bot.app.settings import Settings
from bot.core.errors import DatabaseTooNew, UserError
from bot.sandbox.console import ConsoleOptions, run_console

NO_TOKEN = (
    "Newsdesk needs a bot token: set DISCORD_TOKEN in the environment or in a .env file "
    "(or try it offline with `newsdesk sandbox`)."
)


BAD_TOKEN = (
    "Discord refused the token in DISCORD_TOKEN: copy it again from the Bot page of your "
    "application in the Discord Developer Portal."
)
PRIVILEGED_INTENTS = (
    "Discord refused an intent Newsdesk asked for: check the Bot page's Privileged Gateway "
    "Intents in the Developer Portal."
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="newsdesk", description="Newsdesk: a news desk for your Discord server."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="connect to Discord with DISCORD_TOKEN and run the bot")
    sandbox = sub.add_parser(
        "sandbox", help="run the bot offline against a local Discord, with a prompt"
    )
    sandbox.add_argument("--db", type=Path, help="SQLite file to use (kept between runs)")
    sandbox.add_argument("--script", type=Path, help="run the lines of FILE instead of a prompt")
    sandbox.add_argument(
        "--transcript", type=Path, help="write everything the bot sent to FILE as JSON lines"
    )
    sandbox.add_argument("--serve", type=Path, help="serve DIR over HTTP; {serve} in lines is it")
    sandbox.add_argument("--no-demo", action="store_true", help="do not start the demo newswire")
    for name, summary in TOOLS.items():
        tool = sub.add_parser(name, help=summary, add_help=False)
        tool.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


TOOLS = {
    "extract": "print the clean article (text, date, source, people, quotes) of pages as JSON",
    "copies": "group HTML or text files that carry the same article, as JSON",
}


def run_tool(name: str, arguments: list[str]) -> int:
    """Run one of the offline tools; their modules load only when asked for."""
    if name == "extract":
        from bot.pipeline.read.extraction import run_extract_command  # noqa: PLC0415 (keeps `run` light)

        return run_extract_command(arguments)
    from bot.pipeline.story.copies import run_copies_command  # noqa: PLC0415 (keeps `run` light)

    return run_copies_command(arguments)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.command in TOOLS:
        return run_tool(args.command, list(args.arguments))
    try:
        settings = Settings.from_environment()
    except UserError as error:
        print(error.message, file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            return run_on_discord(settings)
        options = ConsoleOptions(
            database_path=args.db,
            script=args.script,
            transcript=args.transcript,
            serve=args.serve,
            demo=not args.no_demo,
        )
        return asyncio.run(run_console(settings, options))
    except DatabaseTooNew as error:
        print(str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_on_discord(settings: Settings) -> int:
    """Connect to Discord and run until interrupted."""
    if not settings.discord_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    async def serve(token: str) -> None:
        async with open_newsdesk(settings, freeze_heap_when_ready=True) as bot:
            await bot.start(token)

    try:
        asyncio.run(serve(settings.discord_token))
    except discord.LoginFailure:
        print(BAD_TOKEN, file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print(PRIVILEGED_INTENTS, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
