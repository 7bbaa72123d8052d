"""``newsdesk sandbox``: a prompt (or a script) where a person types slash commands as in Discord.

Script lines, run in order as the current user in the current channel:
- ``/command [sub] option:value option:"value with spaces"`` (channels ``#name``, roles ``@name``)
- ``:as admin|member|owner`` · ``:channel NAME`` · ``:guild NAME`` (another server, created
  the first time, with the same channels, roles and people) · ``:poll`` (check every followed
  feed now and return once the posts it caused are sent) · ``:wait SECONDS`` · ``:wait post``
  (until the bot's next post, a minute at most)
- what a person does with what the bot sent: ``:click LABEL [on N]`` (a button on the latest
  message that has it, or on message N) · ``:select VALUE... [on N]`` (options of a menu) ·
  ``:modal field=value ...`` (fill in and submit the form the bot opened) · ``:attach PATH``
  (the next command's file option)
- ``:help`` · ``:help /command [sub]`` (its options, as the schema the bot synced has them)
- what a server admin does in Discord's own settings: ``:delete-webhook #CHANNEL|NAME`` (every
  webhook of a channel, or those with that name) · ``:delete-channel NAME`` · ``:delete-role NAME``
  · ``:require-tags FORUM on|off`` · ``:automod CHANNEL WORD...`` (no words: no rule) ·
  ``:manage-roles on|off`` (Newsdesk's role gets or loses Manage Roles, for "Notify me")
- ``#`` comments and blank lines are skipped; ``{serve}`` expands to the ``--serve`` base URL,
  and the demo newswire's documented address (``http://127.0.0.1:47801``) to its real one.
An unknown ``:directive`` or a line that cannot run ends a script with exit status 2; at the
prompt it is only reported. Every message the bot sends is shown with a number (``[3]``);
files it attaches are saved beside the transcript (or the page, or the database).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shlex
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import discord
from discord.ext import commands

from bot.app.logging_setup import configure_logging
from bot.app.settings import Settings
from bot.core.errors import DatabaseUnusable
from bot.discord_io.client import NewsdeskBot
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.command_help import UnknownCommand, attachment_option, command_help
from bot.sandbox.fake_discord import (
    CommandLineError,
    CommandOutcome,
    RecordedMessage,
    Sandbox,
    parse_command_line,
)
from bot.sandbox.fake_discord.openapi_check import OpenApiUnavailable
from bot.sandbox.fake_discord.permissions import MANAGE_ROLES
from bot.sandbox.html_page import session_page, write_page
from bot.sandbox.message_display import render_session_message
from bot.sandbox.newswire import DemoNewswire
from bot.sandbox.session import SessionLine, SessionLog, SessionMessage
from bot.sandbox.static_files import StaticFileServer
from storage.database import printable

T = TypeVar("T")

POLL_TIMEOUT = 120.0
POST_WAIT_SECONDS = 60.0
COMMAND_TIMEOUT = 3600.0
DEMO_PORT = 47_801
DEMO_ADDRESS = f"http://127.0.0.1:{DEMO_PORT}"
SERVE_PORTS = range(47_810, 47_990)
DEMO_INTERVAL_SECONDS = 5
DEMO_PUBLISH_SECONDS = 20
GUILD_READY_SECONDS = 10.0
BUTTON = 2
STRING_SELECT = 3
LINK_STYLE = 5
_TARGET = re.compile(r"^(?P<what>.*?)\s+on\s+(?P<number>\d+)$")
PROMPT_HELP = (
    "Type a slash command as in Discord, e.g. /feed list or /feed add url:URL channel:#news\n"
    "Directives: :as admin|member|owner, :channel NAME, :guild NAME, :poll, :wait SECONDS,\n"
    "  :wait post, :click LABEL [on N], :select VALUE... [on N], :modal field=value...,\n"
    "  :attach PATH, :help /command, :quit\n"
    "As a server admin: :delete-webhook #CHANNEL|NAME, :delete-channel NAME, "
    ":delete-role NAME, :require-tags FORUM on|off, :automod CHANNEL WORD...,\n"
    "  :manage-roles on|off"
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
    html: Path | None = None


class TranscriptWriter:
    """Writes one JSON object per message the bot sent, with mentions as a person sees them."""

    def __init__(self, sandbox: Sandbox, stream: IO[str] | None) -> None:
        self._sandbox = sandbox
        self._stream = stream

    def record(self, message: RecordedMessage, shown: SessionMessage, line: str | None) -> None:
        """Append ``message`` (shown in the session as ``shown``) to the transcript, if any."""
        if self._stream is None:
            return
        render = self._sandbox.render_mentions
        entry = {
            "kind": message.kind,
            "message": shown.number,
            "channel": f"#{self._sandbox.world.channel_name(message.channel_id)}",
            "guild": shown.guild,
            "ephemeral": message.ephemeral,
            "content": render(message.content),
            "embeds": shown.embeds,
            "components": message.components,
            "attachments": [
                {"filename": a.filename, "bytes": a.size, "path": str(a.path) if a.path else None}
                for a in shown.attachments
            ],
            "allowed_mentions": message.allowed_mentions,
            "line": line,
        }
        self._stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._stream.flush()


class Terminal:
    """Prints to the terminal; a message arriving while the prompt waits redraws the prompt."""

    def __init__(
        self, out: IO[str] | None = None, line_buffer: Callable[[], str] = lambda: ""
    ) -> None:
        self._out = out if out is not None else sys.stdout
        self._line_buffer = line_buffer
        self.prompt: str | None = None

    def show(self, text: str) -> None:
        """Print ``text``; if the prompt is showing, put it back (with what was typed) below."""
        waiting = self.prompt
        if waiting is not None:
            # Clear the prompt line on a terminal; elsewhere start a fresh line.
            self._out.write("\r\x1b[2K" if self._out.isatty() else "\n")
        self._out.write(text + "\n")
        if waiting is not None:
            self._out.write(waiting + self._line_buffer())
        self._out.flush()


def _readline_buffer() -> Callable[[], str]:
    """What the person has typed at the prompt so far (readline keeps it), if readline loads."""
    try:
        import readline  # noqa: PLC0415 (only at an interactive prompt)
    except ImportError:
        return lambda: ""
    return readline.get_line_buffer


class Console:
    """Runs script lines against the sandbox and the bot."""

    def __init__(
        self,
        sandbox: Sandbox,
        bot: commands.Bot | commands.AutoShardedBot,
        log: SessionLog,
        serve_url: str | None = None,
        *,
        terminal: Terminal | None = None,
        demo_url: str | None = None,
        echo: bool = False,
    ) -> None:
        self.sandbox = sandbox
        self.bot = bot
        self.log = log
        self.serve_url = serve_url
        self.demo_url = demo_url
        self.terminal = terminal if terminal is not None else Terminal()
        self.echo = echo
        self.user = "admin"
        self.channel = "general"
        self.guild: str | None = None
        self.attachment: tuple[str, bytes] | None = None

    @property
    def guild_name(self) -> str:
        """The server the person types in."""
        return self.guild or self.sandbox.world.guild_name

    @property
    def prompt(self) -> str:
        """The prompt: who types where (the server named when it is not the first one)."""
        where = f"#{self.channel}" + (f" ({self.guild})" if self.guild else "")
        return f"{self.user} in {where}> "

    def say(self, text: str) -> None:
        """Show the console's own output (indented under the line that caused it)."""
        self.terminal.show("\n".join(f"  {part}" for part in text.splitlines()))

    def show_message(self, message: SessionMessage) -> None:
        """Show a message the bot sent."""
        primary = self.sandbox.world.guild_name
        self.terminal.show(render_session_message(message, primary=primary))

    async def run_line(self, raw_line: str) -> None:
        """Run one line; raise ``ScriptError`` for a line the console cannot run."""
        line = raw_line.strip()
        if not line or line.startswith("#"):
            return
        if self.echo:
            self.terminal.show(self.prompt + line)
        self.log.current_line = line
        self.log.note_line(
            SessionLine(self.user, self.guild_name, self.channel, line, datetime.now(UTC))
        )
        if self.serve_url is not None:
            line = line.replace("{serve}", self.serve_url)
        if self.demo_url is not None:
            line = line.replace(DEMO_ADDRESS, self.demo_url)
        try:
            if line.startswith("/"):
                await self._command(line)
            elif line.startswith(":"):
                await self._directive(line)
            else:
                raise ScriptError(
                    f"Lines start with / (a command) or : (a directive), not {line!r}."
                )
        except KeyError as error:
            raise ScriptError(self._sentence(error)) from None
        except ScriptError as error:
            self.log.answer_line(str(error))
            raise

    async def run_script_line(self, raw_line: str) -> None:
        """Run one line of a script and wait until the command it typed has finished.

        A long command (``/feed import``) answers with its first progress message long
        before it ends; the next line (or the end of the script, which stops the bot) must
        not cut it short.
        """
        await self.run_line(raw_line)
        if isinstance(self.bot, NewsdeskBot) and not await self.bot.commands_finished(
            COMMAND_TIMEOUT
        ):
            self.say(
                f"(the command was still running after {COMMAND_TIMEOUT:g} seconds; "
                "the script goes on)"
            )

    def _sentence(self, error: KeyError) -> str:
        """A lookup that failed, as a sentence saying what exists."""
        text = str(error.args[0]) if error.args else "not found"
        guild = self.sandbox.world.guild_named(self.guild_name)
        if text.startswith("no channel"):
            names = ", ".join(f"#{c.name}" for c in guild.live_channels())
            return f"There is no channel {text.split()[-1]} in {guild.name}: try {names}."
        if text.startswith("no user"):
            names = ", ".join(u.name for u in self.sandbox.world.users if not u.bot)
            return f"There is no user {text.split()[-1]} in the sandbox: try {names}."
        if text.startswith("no role"):
            names = ", ".join(f"@{r.name}" for r in guild.roles if r.name != "@everyone")
            return f"There is no role {text.split()[-1]} in {guild.name}: try {names}."
        return text[:1].upper() + text[1:] + "."

    def _report(self, outcome: CommandOutcome) -> None:
        answer = None
        if outcome.refused is not None:
            answer = f"Discord: {outcome.refused}"
        elif outcome.timed_out:
            answer = "Discord: The application did not respond."
        if answer is not None:
            self.say(answer)
            self.log.answer_line(answer)
        if outcome.modal is not None:
            self.say(_describe_modal(outcome.modal))

    def _schema(self) -> list[dict[str, Any]]:
        guild = self.sandbox.world.guild_named(self.guild_name)
        commands_ = self.sandbox.state.commands
        return [*commands_.get(guild.id, []), *commands_.get(None, [])]

    async def _command(self, line: str) -> None:
        files = None
        if self.attachment is not None:
            try:
                path = list(parse_command_line(line).path)
            except CommandLineError:
                path = []
            option = attachment_option(self._schema(), path)
            if option is None:
                raise ScriptError(
                    f"/{' '.join(path)} takes no file: :attach is for a command with a "
                    "file option, such as /feed import (:help /feed import)."
                )
            files, self.attachment = {option: self.attachment}, None
        outcome = await self.sandbox.run_command(
            line, user=self.user, channel=self.channel, guild=self.guild, files=files
        )
        self._report(outcome)

    async def _directive(self, line: str) -> None:
        name, _, argument = line[1:].partition(" ")
        argument = argument.strip()
        if name == "as":
            self._act_as(argument.lstrip("@"))
        elif name == "channel":
            channel = argument.lstrip("#")
            guild = self.sandbox.world.guild_named(self.guild_name)
            self.sandbox.world.channel_id(channel, guild_id=guild.id)
            self.channel = channel
        elif name == "guild":
            await self._switch_guild(argument)
        elif name == "poll":
            await self._poll()
        elif name == "wait" and argument == "post":
            await self._wait_for_post()
        elif name == "wait":
            try:
                seconds = float(argument)
            except ValueError:
                raise ScriptError(f":wait needs a number of seconds, not {argument!r}.") from None
            await asyncio.sleep(seconds)
        elif name == "help":
            self._help(argument)
        elif name == "click":
            await self._click(argument)
        elif name == "select":
            await self._select(argument)
        elif name == "modal":
            await self._modal(argument)
        elif name == "attach":
            await self._attach(argument)
        elif name in ADMIN_DIRECTIVES:
            ADMIN_DIRECTIVES[name](self.sandbox, argument)
        else:
            raise ScriptError(f"Unknown directive :{name}. {PROMPT_HELP}")

    def _act_as(self, name: str) -> None:
        user_id = self.sandbox.world.user_id(name)
        guild = self.sandbox.world.guild_named(self.guild_name)
        if user_id not in guild.members:
            raise ScriptError(f"{name} is not a member of {guild.name}.")
        self.user = name

    async def _poll(self) -> None:
        if not isinstance(self.bot, NewsdeskBot):
            raise ScriptError(":poll needs the Newsdesk bot.")
        report = await self.bot.services.poller.poll_all()
        if not await self.bot.settle(report.outbox_ids, POLL_TIMEOUT):
            self.say("(some posts were still being sent when :poll gave up waiting)")

    async def _wait_for_post(self) -> None:
        posted = self.sandbox.post_count
        deadline = asyncio.get_running_loop().time() + POST_WAIT_SECONDS
        # Polling: posts land in the sandbox's records, which have no event to wait on.
        while self.sandbox.post_count == posted:
            if asyncio.get_running_loop().time() >= deadline:
                self.say(f"(no post came within {POST_WAIT_SECONDS:g} s)")
                return
            await asyncio.sleep(0.1)

    async def _switch_guild(self, name: str) -> None:
        world = self.sandbox.world
        if not name:
            names = ", ".join(g.name for g in world.guilds)
            self.say(f"You are in {self.guild_name}. Servers: {names}.")
            return
        if name not in {g.name for g in world.guilds}:
            guild = await self.sandbox.add_guild(name)
            await self._publish_commands(guild.id)
            self.say(
                f"(a new server {name} with the same channels, roles and people; Newsdesk "
                "joined it and its commands were published there, as /sync scope:server does)"
            )
        self.guild = None if name == world.guild_name else name
        self.channel = "general"

    async def _publish_commands(self, guild_id: int) -> None:
        async with asyncio.timeout(GUILD_READY_SECONDS):
            # The bot learns of the server from the gateway; poll its cache until then.
            while self.bot.get_guild(guild_id) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        target = discord.Object(id=guild_id)
        self.bot.tree.copy_global_to(guild=target)
        await self.bot.tree.sync(guild=target)

    def _help(self, argument: str) -> None:
        if not argument:
            self.say(PROMPT_HELP)
            return
        try:
            path = list(parse_command_line(argument).path)
            self.say(command_help(self._schema(), path))
        except (CommandLineError, UnknownCommand) as error:
            raise ScriptError(str(error)) from None

    def _visible(self, message: SessionMessage) -> bool:
        return message.guild == self.guild_name and (
            not message.ephemeral or message.seen_by == self.user
        )

    def _target(
        self, argument: str, has: Callable[[SessionMessage], bool], what: str
    ) -> tuple[str, SessionMessage]:
        """Split ``WHAT [on N]`` and find message N, or the latest visible one that ``has`` it."""
        match = _TARGET.match(argument)
        wanted = match.group("what") if match else argument
        if not wanted:
            raise ScriptError(f"Say which {what}, for example :click Save.")
        if match:
            number = int(match.group("number"))
            message = self.log.by_number(number)
            if message is None or not self._visible(message):
                raise ScriptError(f"There is no message {number} you can see.")
            if not has(message):
                raise ScriptError(f"Message {number} has no {what} {wanted}.")
            return wanted, message
        for message in reversed(self.log.messages):
            if self._visible(message) and has(message):
                return wanted, message
        raise ScriptError(f"No message you can see has a {what} {wanted}.")

    async def _click(self, argument: str) -> None:
        target = _TARGET.match(argument)
        label = target.group("what") if target else argument
        _, message = self._target(
            argument, lambda m: _button(m.components, label) is not None, "button"
        )
        button = _button(message.components, label)
        assert button is not None
        if button.get("style") == LINK_STYLE:
            self.say(f"(a link button: it opens {button.get('url')})")
            return
        self._report(
            await self.sandbox.click(message.message_id, str(button["custom_id"]), user=self.user)
        )

    async def _select(self, argument: str) -> None:
        match = _TARGET.match(argument)
        values = shlex.split(match.group("what") if match else argument)
        _, message = self._target(
            argument, lambda m: _menu(m.components, values) is not None, "menu with"
        )
        menu = _menu(message.components, values)
        assert menu is not None
        chosen = [_option_value(menu, value) for value in values]
        self._report(
            await self.sandbox.click(
                message.message_id, str(menu["custom_id"]), values=chosen, user=self.user
            )
        )

    async def _modal(self, argument: str) -> None:
        user_id = self.sandbox.world.user_id(self.user)
        opened = self.sandbox.state.open_modals.get(user_id)
        form = opened.response_data if opened is not None else None
        if form is None:
            raise ScriptError(f"{self.user} has no form open: a command or a button opens one.")
        fields = _modal_fields(form)
        values: dict[str, str] = {}
        try:
            pairs = shlex.split(argument)
        except ValueError as error:
            raise ScriptError(f"{error}: quote a value with spaces as field=\"...\".") from None
        for pair in pairs:
            key, equals, value = pair.partition("=")
            if not equals:
                raise ScriptError(f"Write each field as field=value, not {pair!r}.")
            custom_id = fields.get(key.lower())
            if custom_id is None:
                known = ", ".join(sorted(set(fields.values())))
                raise ScriptError(f"The form has no field {key} (its fields: {known}).")
            values[custom_id] = value
        self._report(
            await self.sandbox.submit_modal(str(form["custom_id"]), values, user=self.user)
        )

    async def _attach(self, argument: str) -> None:
        if not argument:
            raise ScriptError("Name the file to attach, for example :attach feeds.opml.")
        path = Path(argument)
        try:
            data = await asyncio.to_thread(lambda: path.expanduser().read_bytes())
        except OSError as error:
            reason = error.strerror or "unreadable"
            raise ScriptError(f"Cannot attach {argument}: {reason.lower()}.") from None
        self.attachment = (path.name, data)
        self.say(f"({path.name}, {len(data)} bytes, goes to the next command's file option)")


def _buttons(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        item
        for row in components
        for item in row.get("components", [])
        if item.get("type") == BUTTON
    ]


def _button(components: list[dict[str, Any]], label: str) -> dict[str, Any] | None:
    wanted = label.strip().casefold()
    for button in _buttons(components):
        names = {str(button.get("label") or "").casefold()}
        names.add(str((button.get("emoji") or {}).get("name") or "").casefold())
        if wanted in names and not button.get("disabled"):
            return button
    return None


def _option_value(menu: dict[str, Any], wanted: str) -> str:
    for option in menu.get("options", []):
        if wanted.casefold() in {str(option.get("value")).casefold(),
                                 str(option.get("label")).casefold()}:
            return str(option.get("value"))
    return wanted


def _menu(components: list[dict[str, Any]], values: list[str]) -> dict[str, Any] | None:
    for row in components:
        for item in row.get("components", []):
            if item.get("type") != STRING_SELECT or item.get("disabled"):
                continue
            options = {
                str(name).casefold()
                for option in item.get("options", [])
                for name in (option.get("value"), option.get("label"))
            }
            if values and all(value.casefold() in options for value in values):
                menu: dict[str, Any] = item
                return menu
    return None


def _modal_inputs(components: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    found: list[tuple[dict[str, Any], str]] = []
    for component in components:
        inner = component.get("component")
        if isinstance(inner, dict):
            found.append((inner, str(component.get("label") or inner.get("custom_id"))))
        for child in component.get("components") or []:
            found.append((child, str(child.get("label") or child.get("custom_id"))))
    return found


def _modal_fields(form: dict[str, Any]) -> dict[str, str]:
    """Each field's custom id and label (lower-cased) -> its custom id."""
    fields: dict[str, str] = {}
    for schema, label in _modal_inputs(list(form.get("components") or [])):
        custom_id = str(schema.get("custom_id"))
        fields[custom_id.lower()] = custom_id
        fields[label.lower()] = custom_id
    return fields


def _describe_modal(form: dict[str, Any]) -> str:
    lines = [f"Newsdesk opened a form: {form.get('title', '')}"]
    for schema, label in _modal_inputs(list(form.get("components") or [])):
        required = "required" if schema.get("required", True) else "optional"
        options = [str(o.get("value")) for o in schema.get("options") or []]
        choices = f"; one of {', '.join(options)}" if options else ""
        lines.append(f"  {schema.get('custom_id')}: {label} ({required}{choices})")
    lines.append("Fill it in with :modal field=value ... (quote values with spaces)")
    return "\n".join(lines)


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
    if not argument:
        raise ScriptError(":automod needs a channel and the words to block: :automod #news leak.")
    channel, *words = argument.split()
    sandbox.set_automod_keywords(channel.lstrip("#"), words)


def _manage_roles(sandbox: Sandbox, argument: str) -> None:
    if argument not in {"on", "off"}:
        raise ScriptError(f":manage-roles needs on or off, not {argument!r}.")
    guild = sandbox.world.primary
    role = next(role for role in guild.roles if role.bot_id == sandbox.world.bot_user_id)
    granted = role.permissions | MANAGE_ROLES if argument == "on" else role.permissions
    if argument == "off":
        granted &= ~MANAGE_ROLES
    sandbox.set_role_permissions(role.name, granted)


ADMIN_DIRECTIVES: dict[str, Callable[[Sandbox, str], None]] = {
    "delete-webhook": _delete_webhooks,
    "delete-channel": _delete_channel,
    "delete-role": _delete_role,
    "require-tags": _require_tags,
    "automod": _automod,
    "manage-roles": _manage_roles,
}


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
                stack,
                lambda port: StaticFileServer(directory, port=port),
                preferred_serve_port(directory),
            )
            serve_url = server.base_url
            origins.add(server.origin)
        wire = None
        if options.demo:
            edition = f"{int(time.time())}-"
            wire = await _start_on_stable_port(
                stack,
                lambda port: DemoNewswire(DEMO_PUBLISH_SECONDS, port=port, edition=edition),
                DEMO_PORT,
            )
            origins.add(wire.origin)
        yield _LocalServers(serve_url, wire, frozenset(origins))


async def _follow_demo(bot: NewsdeskBot, sandbox: Sandbox, wire: DemoNewswire) -> None:
    world = sandbox.world
    await bot.services.subscriptions.add(
        world.guild_id, world.channel_id("news"), wire.feed_url, added_by=world.user_id("admin")
    )


def files_folder(options: ConsoleOptions, database_path: Path) -> Path:
    """Where files the bot attaches are saved: beside the transcript, else the page, else
    the database."""
    beside = options.transcript or options.html or database_path
    return beside.with_name(f"{beside.stem}-files")


async def run_console(settings: Settings, options: ConsoleOptions) -> int:
    """Run the sandbox, the bot and the prompt or script; return the exit status."""
    if options.database_path is not None:
        # --db names a SQLite file: it wins over a PostgreSQL NEWSDESK_DB.
        settings = replace(settings, database_path=options.database_path, database_url=None)
    log_file = settings.database_path.with_suffix(".log")
    try:
        configure_logging(settings.log_level, log_file=log_file)
    except OSError:
        # The log lives beside the database: a folder that cannot hold one holds neither.
        raise DatabaseUnusable(str(settings.database_path), damaged=False) from None
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
    log = SessionLog(sandbox, files_dir=files_folder(options, settings.database_path))
    interactive = options.script is None
    terminal = Terminal(line_buffer=_readline_buffer() if interactive else lambda: "")
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
            console = Console(
                sandbox, bot, log, serve_url, terminal=terminal,
                demo_url=wire.base_url if wire is not None else None, echo=not interactive,
            )

            def on_message(message: RecordedMessage) -> None:
                shown = log.record(message)
                transcript.record(message, shown, log.current_line)
                if console.user == shown.seen_by or not shown.ephemeral:
                    console.show_message(shown)

            sandbox.on_message(on_message)
            if wire is not None:
                await _follow_demo(bot, sandbox, wire)
            print(f"Newsdesk sandbox: guild {sandbox.world.guild_name!r}, database "
                  f"{printable(settings.database)}, log {log_file}")
            if wire is not None:
                print(f"Demo newswire: {wire.feed_url} (followed by #news; a new story every "
                      f"{DEMO_PUBLISH_SECONDS} s until its {wire.story_count} "
                      "stories are out)")
            try:
                if options.script is not None:
                    return await _run_script(console, options.script)
                return await _run_prompt(console)
            finally:
                await log.flush()
                if options.html is not None:
                    page = session_page(log, options.html)
                    await asyncio.to_thread(write_page, options.html, page)
                    print(f"Session page: {options.html}")
    finally:
        if transcript_stream is not None:
            transcript_stream.close()


async def _run_script(console: Console, script: Path) -> int:
    text = await asyncio.to_thread(script.read_text, encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            await console.run_script_line(line)
        except ScriptError as error:
            print(f"{script}:{number}: {error}", file=sys.stderr)
            return 2
    return 0


async def _run_prompt(console: Console) -> int:
    print(PROMPT_HELP)
    while True:
        prompt = console.prompt
        console.terminal.prompt = prompt
        try:
            line = await asyncio.to_thread(input, prompt)
        except EOFError:
            print()
            return 0
        finally:
            console.terminal.prompt = None
        if line.strip() in {":quit", ":exit"}:
            return 0
        try:
            await console.run_line(line)
        except ScriptError as error:
            console.say(str(error))
