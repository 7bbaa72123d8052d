"""The ``newsdesk`` command (also ``python -m bot``): ``run`` on Discord, ``sandbox`` offline."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.app.logging_setup import configure_logging
from bot.app.roles import ROLES, ShardPlan, check_role
from bot.app.settings import Settings
from bot.core.errors import DatabaseTooNew, UserError

NO_TOKEN = (
    "Newsdesk needs a bot token: set DISCORD_TOKEN in the environment or in a .env file "
    "(or try it offline with `newsdesk sandbox`)."
)


# The roles that talk to Discord, and so need the token.
ROLES_ON_DISCORD = frozenset({"all", "gateway", "deliverer"})


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="newsdesk", description="Newsdesk: a news desk for your Discord server."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="connect to Discord with DISCORD_TOKEN and run the bot")
    run.add_argument(
        "--role", choices=ROLES, default="all",
        help="the part of Newsdesk this process runs (default all: everything; the others "
        "need PostgreSQL, see README 'Run it at scale')",
    )
    run.add_argument(
        "--shards", metavar="RANGE",
        help="gateway shards this process runs, like 0-15 or 0,2,4 (with --shard-count; "
        "default NEWSDESK_SHARDS, else every shard Discord recommends)",
    )
    run.add_argument(
        "--shard-count", type=int, metavar="N",
        help="the number of shards of every process (default NEWSDESK_SHARD_COUNT)",
    )
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
    sandbox.add_argument(
        "--html", type=Path, metavar="FILE", help="write the session to FILE as a Discord-like page"
    )
    sandbox.add_argument(
        "--openapi-spec",
        type=Path,
        metavar="DIR",
        help="also check every request against Discord's openapi.json in DIR "
        "(needs the test extra)",
    )
    migrate = sub.add_parser(
        "migrate", help="copy the SQLite database into an empty PostgreSQL database"
    )
    migrate.add_argument(
        "--to", required=True, metavar="ADDRESS", help="the postgresql:// address to copy into"
    )
    migrate.add_argument(
        "--from", dest="source", type=Path, metavar="FILE",
        help="the SQLite file to copy (default: NEWSDESK_DB, else the default file)",
    )
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
        from bot.pipeline.read.extraction import run_extract_command  # noqa: PLC0415

        return run_extract_command(arguments)
    from bot.pipeline.story.copies import run_copies_command  # noqa: PLC0415

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
            return run_on_discord(settings, args)
        if args.command == "migrate":
            from bot.app.migrate_command import run_migrate  # noqa: PLC0415

            return run_migrate(args.source or settings.database_path, args.to)
        return run_sandbox(settings, args)
    except UserError as error:
        # Start-up refusals (an unreachable database, …) are sentences, never tracebacks.
        print(error.message, file=sys.stderr)
        return 2
    except DatabaseTooNew as error:
        print(str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_on_discord(settings: Settings, args: argparse.Namespace) -> int:
    """Connect to Discord and run until interrupted (one role of it, with ``--role``)."""
    shards = ShardPlan.chosen(settings, args.shards, args.shard_count)
    check_role(args.role, settings)
    token = settings.discord_token
    if not token and args.role in ROLES_ON_DISCORD:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.role != "all":
        from bot.app.roles import serve_role  # noqa: PLC0415

        asyncio.run(serve_role(args.role, settings, shards))
        return 0
    # Loaded here, not at the top: `newsdesk extract` and `copies` never need discord.py.
    from bot.app.runtime import open_newsdesk  # noqa: PLC0415
    from bot.discord_io.client import run_until_closed  # noqa: PLC0415

    async def serve(token: str) -> None:
        async with open_newsdesk(
            settings, freeze_heap_when_ready=True, **shards.client_options()
        ) as bot:
            await run_until_closed(bot, token)

    assert token is not None  # role all talks to Discord: refused above without a token
    asyncio.run(serve(token))
    return 0


def run_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """Run the bot offline against the local Discord, with a prompt or a script."""
    # The sandbox is loaded only here: `newsdesk run` never imports it.
    from bot.sandbox.console import ConsoleOptions, run_console  # noqa: PLC0415

    options = ConsoleOptions(
        database_path=args.db,
        script=args.script,
        transcript=args.transcript,
        serve=args.serve,
        demo=not args.no_demo,
        openapi_spec=args.openapi_spec,
        html=args.html,
    )
    return asyncio.run(run_console(settings, options))


if __name__ == "__main__":
    raise SystemExit(main())
