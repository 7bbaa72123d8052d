"""``newsdesk sandbox``: a prompt (or a script) where a person types slash commands as in Discord.

Script lines, run in order as the current user in the current channel:
- ``/command [sub] option:value option:"value with spaces"`` (channels ``#name``, roles ``@name``)
- ``:as admin|member`` · ``:channel NAME`` · ``:poll`` (check every followed feed now and return
  once the posts it caused are sent) · ``:wait SECONDS``
- what a server admin does in Discord's own settings: ``:delete-webhook #CHANNEL|NAME`` (every
  webhook of a channel, or those with that name) · ``:delete-channel NAME`` · ``:delete-role NAME``
  · ``:require-tags FORUM on|off`` · ``:automod CHANNEL WORD...`` (no words: no rule)
- ``#`` comments and blank lines are skipped; ``{serve}`` expands to the ``--serve`` base URL.
An unknown ``:directive`` ends a script with exit status 2; at the prompt it is only reported.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, TypeVar

from bot.app.logging_setup import configure_logging
from bot.app.settings import Settings
from bot.discord_io.client import NewsdeskBot
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from bot.sandbox.fake_discord.openapi_check import OpenApiUnavailable
from bot.sandbox.message_display import render_message
from bot.sandbox.newswire import DemoNewswire
from bot.sandbox.static_files import StaticFileServer
from storage.database import printable

T = TypeVar("T")

POLL_TIMEOUT = 120.0
COMMAND_TIMEOUT = 3600.0
DEMO_PORT = 47_801
SERVE_PORTS = range(47_810, 47_990)
DEMO_INTERVAL_SECONDS = 5
PROMPT_HELP = (
    "Type a slash command as in Discord, e.g. /feed add url:https://example.com/feed.xml "
    "channel:#news\nDirectives: :as admin|member, :channel NAME, :poll, :wait SECONDS, "
    ":help, :quit\nAs a server admin: :delete-webhook #CHANNEL|NAME, :delete-channel NAME, "
    ":delete-role NAME, :require-tags FORUM on|off, :automod CHANNEL WORD..."
)


class ScriptError(Exception):
    """A script line the console cannot run (an unknown directive or a bad argument)."""


@dataclass(frozen=True)
class ConsoleOptions:
    """The ``newsdesk sandbox`` options."""

    database_path: Path | None = None
    script: Path | None = None
    transcript: Path | None = None
    serve: Path | None = None
    demo: bool = True
    openapi_spec: Path | None = None


class TranscriptWriter:
    """Writes one JSON object per message the bot sent, with mentions as a person sees them."""

    def __init__(self, sandbox: Sandbox, stream: IO[str] | None) -> None:
        self._sandbox = sandbox
        self._stream = stream
        self.current_line: str | None = None

    def record(self, message: RecordedMessage) -> None:
        """Append ``message`` to the transcript (if one is being written)."""
        if self._stream is None:
            return
        render = self._sandbox.render_mentions
        entry = {
            "kind": message.kind,
            "channel": f"#{self._sandbox.world.channel_name(message.channel_id)}",
            "ephemeral": message.ephemeral,
            "content": render(message.content),
            "embeds": [_render_strings(embed, render) for embed in message.embeds],
            "allowed_mentions": message.allowed_mentions,
            "line": self.current_line,
        }
        self._stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._stream.flush()


def _render_strings(value: Any, render: Any) -> Any:
    if isinstance(value, str):
        return render(value)
    if isinstance(value, dict):
        return {key: _render_strings(item, render) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_strings(item, render) for item in value]
    return value


class Console:
    """Runs script lines against the sandbox and the bot."""

    def __init__(
        self, sandbox: Sandbox, bot: NewsdeskBot, transcript: TranscriptWriter,
        serve_url: str | None,
    ) -> None:
        self.sandbox = sandbox
        self.bot = bot
        self.transcript = transcript
        self.serve_url = serve_url
        self.user = "admin"
        self.channel = "general"

    async def run_line(self, raw_line: str) -> None:
        """Run one line; raise ``ScriptError`` for a line the console cannot run."""
        line = raw_line.strip()
        if not line or line.startswith("#"):
            return
        self.transcript.current_line = line
        if self.serve_url is not None:
            line = line.replace("{serve}", self.serve_url)
        if line.startswith("/"):
            outcome = await self.sandbox.run_command(line, user=self.user, channel=self.channel)
            if outcome.refused is not None:
                print(f"  Discord: {outcome.refused}")
            elif outcome.timed_out:
                print("  Discord: The application did not respond.")
            return
        if line.startswith(":"):
            await self._directive(line)
            return
        raise ScriptError(f"Lines start with / (a command) or : (a directive), not {line!r}.")

    async def run_script_line(self, raw_line: str) -> None:
        """Run one line of a script and wait until the command it typed has finished.

        A long command (``/feed import``) answers with its first progress message long
        before it ends; the next line (or the end of the script, which stops the bot) must
        not cut it short.
        """
        await self.run_line(raw_line)
        if not await self.bot.commands_finished(COMMAND_TIMEOUT):
            print(f"  (the command was still running after {COMMAND_TIMEOUT:g} seconds; "
                  "the script goes on)")

    async def _directive(self, line: str) -> None:
        name, _, argument = line[1:].partition(" ")
        argument = argument.strip()
        if name == "as":
            self.sandbox.world.user_id(argument)  # raises KeyError for an unknown user
            self.user = argument
        elif name == "channel":
            channel = argument.lstrip("#")
            self.sandbox.world.channel_id(channel)
            self.channel = channel
        elif name == "poll":
            report = await self.bot.services.poller.poll_all()
            if not await self.bot.settle(report.outbox_ids, POLL_TIMEOUT):
                print("  (some posts were still being sent when :poll gave up waiting)")
        elif name == "wait":
            try:
                seconds = float(argument)
            except ValueError:
                raise ScriptError(f":wait needs a number of seconds, not {argument!r}.") from None
            await asyncio.sleep(seconds)
        elif name == "help":
            print(PROMPT_HELP)
        elif name in ADMIN_DIRECTIVES:
            ADMIN_DIRECTIVES[name](self.sandbox, argument)
        else:
            raise ScriptError(f"Unknown directive :{name}. {PROMPT_HELP}")


def _delete_webhooks(sandbox: Sandbox, argument: str) -> None:
    if argument.startswith("#"):
        doomed = sandbox.webhooks(argument.lstrip("#"))
    else:
        doomed = [w for w in sandbox.webhooks() if w.name == argument]
    if not doomed:
        raise ScriptError(f"There is no webhook {argument} to delete.")
    for webhook in doomed:
        sandbox.delete_webhook(webhook.id)
    print(f"  (deleted {len(doomed)} webhook(s))")


def _delete_channel(sandbox: Sandbox, argument: str) -> None:
    sandbox.delete_channel(argument.lstrip("#"))


def _delete_role(sandbox: Sandbox, argument: str) -> None:
    sandbox.delete_role(argument.lstrip("@"))


def _require_tags(sandbox: Sandbox, argument: str) -> None:
    forum, _, setting = argument.partition(" ")
    if setting.strip() not in {"on", "off"}:
        raise ScriptError(f":require-tags needs a forum and on or off, not {argument!r}.")
    try:
        sandbox.set_forum_tags(forum.lstrip("#"), require_tag=setting.strip() == "on")
    except ValueError as error:
        raise ScriptError(f"{error}.") from None


def _automod(sandbox: Sandbox, argument: str) -> None:
    channel, *words = argument.split()
    sandbox.set_automod_keywords(channel.lstrip("#"), words)


ADMIN_DIRECTIVES: dict[str, Callable[[Sandbox, str], None]] = {
    "delete-webhook": _delete_webhooks,
    "delete-channel": _delete_channel,
    "delete-role": _delete_role,
    "require-tags": _require_tags,
    "automod": _automod,
}


def _show(sandbox: Sandbox, message: RecordedMessage) -> None:
    print(render_message(sandbox, message), flush=True)


def preferred_serve_port(directory: Path) -> int:
    """Return a port that stays the same for the same folder, so stored feed URLs keep working."""
    digest = hashlib.sha256(str(directory.resolve()).encode()).digest()
    return SERVE_PORTS[int.from_bytes(digest[:4], "big") % len(SERVE_PORTS)]


async def _start_on_stable_port(
    stack: AsyncExitStack, make: Callable[[int], AbstractAsyncContextManager[T]], port: int
) -> T:
    """Start a server on ``port``; if it is taken, on a free port (feeds added before break)."""
    try:
        return await stack.enter_async_context(make(port))
    except OSError:
        print(f"(port {port} is busy, so a free port is used: feeds added in earlier runs "
              "with this server's address will fail to fetch)")
        return await stack.enter_async_context(make(0))


@dataclass(frozen=True)
class _LocalServers:
    """The servers the console started on 127.0.0.1: the only private addresses it fetches."""

    serve_url: str | None
    wire: DemoNewswire | None
    origins: frozenset[tuple[str, int]]


@asynccontextmanager
async def _optional_servers(options: ConsoleOptions) -> AsyncIterator[_LocalServers]:
    async with AsyncExitStack() as stack:
        serve_url = None
        origins: set[tuple[str, int]] = set()
        if options.serve is not None:
            directory = options.serve
            server = await _start_on_stable_port(
                stack, lambda port: StaticFileServer(directory, port=port),
                preferred_serve_port(directory),
            )
            serve_url = server.base_url
            origins.add(server.origin)
        wire = None
        if options.demo:
            edition = f"{int(time.time())}-"
            wire = await _start_on_stable_port(
                stack,
                lambda port: DemoNewswire(DEMO_INTERVAL_SECONDS, port=port, edition=edition),
                DEMO_PORT,
            )
            origins.add(wire.origin)
        yield _LocalServers(serve_url, wire, frozenset(origins))


async def _follow_demo(bot: NewsdeskBot, sandbox: Sandbox, wire: DemoNewswire) -> None:
    world = sandbox.world
    await bot.services.subscriptions.add(
        world.guild_id, world.channel_id("news"), wire.feed_url, added_by=world.user_id("admin")
    )


async def run_console(settings: Settings, options: ConsoleOptions) -> int:
    """Run the sandbox, the bot and the prompt or script; return the exit status."""
    if options.database_path is not None:
        # --db names a SQLite file: it wins over a PostgreSQL NEWSDESK_DB.
        settings = replace(settings, database_path=options.database_path, database_url=None)
    log_file = settings.database_path.with_suffix(".log")
    configure_logging(settings.log_level, log_file=log_file)
    if options.demo:
        settings = replace(
            settings, default_interval_seconds=DEMO_INTERVAL_SECONDS, scheduler_tick_seconds=1.0
        )
    try:
        sandbox = Sandbox(openapi_spec=options.openapi_spec)
    except OpenApiUnavailable as error:
        print(error, file=sys.stderr)
        return 2
    transcript_stream = (
        options.transcript.open("w", encoding="utf-8") if options.transcript else None
    )
    try:
        async with (
            _optional_servers(options) as servers,
            sandbox,
            # Only the console's own servers: /feed add of any other private address (a
            # router, 10.1.2.3) is refused as on Discord, not sent into the user's network.
            bot_in_sandbox(
                sandbox, settings, allow_private_addresses=False,
                allowed_private_origins=servers.origins,
            ) as bot,
        ):
            serve_url, wire = servers.serve_url, servers.wire
            transcript = TranscriptWriter(sandbox, transcript_stream)
            sandbox.on_message(transcript.record)
            sandbox.on_message(lambda message: _show(sandbox, message))
            if wire is not None:
                await _follow_demo(bot, sandbox, wire)
            console = Console(sandbox, bot, transcript, serve_url)
            print(f"Newsdesk sandbox: guild {sandbox.world.guild_name!r}, database "
                  f"{printable(settings.database)}, log {log_file}")
            if options.script is not None:
                return await _run_script(console, options.script)
            return await _run_prompt(console, demo=wire is not None)
    finally:
        if transcript_stream is not None:
            transcript_stream.close()


async def _run_script(console: Console, script: Path) -> int:
    text = await asyncio.to_thread(script.read_text, encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            await console.run_script_line(line)
        except (ScriptError, KeyError) as error:
            print(f"{script}:{number}: {error}", file=sys.stderr)
            return 2
    return 0


async def _run_prompt(console: Console, *, demo: bool) -> int:
    print(PROMPT_HELP)
    if demo:
        print("The demo newswire is followed by #news: new posts appear every few seconds.")
    while True:
        prompt = f"{console.user} in #{console.channel}> "
        try:
            line = await asyncio.to_thread(input, prompt)
        except EOFError:
            print()
            return 0
        if line.strip() in {":quit", ":exit"}:
            return 0
        try:
            await console.run_line(line)
        except (ScriptError, KeyError) as error:
            print(f"  {error}")

