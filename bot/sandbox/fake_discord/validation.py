"""Validating a typed command against the synced schema, as Discord's client and API do.

Rules:
- the command is looked up among the guild's commands, then the global ones;
  only CHAT_INPUT (type 1) commands can be typed;
- subcommand groups (type 2) and subcommands (type 1) must be named in the
  path; extra or unknown path words are refused;
- `default_member_permissions`: the invoker needs every bit in that channel
  (ADMINISTRATOR and the guild owner pass); so is USE_APPLICATION_COMMANDS;
- unknown options, missing required options, wrong types, choices,
  min/max value and min/max length are refused with a sentence a person
  would understand;
- an ATTACHMENT option's typed value is a local file path (see `uploads.py`),
  or its bytes come from `Invocation.files` keyed by option name; a file
  given both ways, or bytes for a non-file option, are refused;
- channels are typed `#name` or `<#id>`, roles `@name` or `<@&id>`, users
  `@name` or `<@id>`; a MENTIONABLE `@name` is a user first, then a role;
- for autocomplete (`focused=` names the option being typed) the focused
  option must have `autocomplete: true` and is sent raw as a string with
  `focused: true`; required options may be missing; the rest is validated
  as for a command;
- the result is the interaction's `data` object, with nested options and
  `resolved` {users, members, roles, channels, attachments}.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord import permissions as perms
from bot.sandbox.fake_discord.commands import ParsedCommandLine
from bot.sandbox.fake_discord.payloads import JSON
from bot.sandbox.fake_discord.uploads import FileSource, UploadError, UploadStore, read_local_file
from bot.sandbox.fake_discord.world import ChannelSpec, GuildSpec, SandboxWorld

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
TYPE_NAMES = {
    STRING: "text",
    INTEGER: "a whole number",
    BOOLEAN: "true or false",
    USER: "a user",
    CHANNEL: "a channel",
    ROLE: "a role",
    MENTIONABLE: "a user or role",
    NUMBER: "a number",
    ATTACHMENT: "a file",
}
MAX_SAFE_INTEGER = 2**53
BOOLEAN_WORDS = {"true": True, "yes": True, "false": False, "no": False}
_CHANNEL_MENTION = re.compile(r"<#(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_USER_MENTION = re.compile(r"<@!?(\d+)>")


class CommandRefused(Exception):
    """The client or API would not send this command; str(error) is the sentence."""


@dataclass(frozen=True)
class Invocation:
    """Who types the command, where, and the files they attach (by option name)."""

    world: SandboxWorld
    guild: GuildSpec
    channel: ChannelSpec
    user_id: int
    uploads: UploadStore | None = None
    files: Mapping[str, FileSource] = field(default_factory=dict)


@dataclass
class _Resolved:
    users: dict[str, JSON]
    members: dict[str, JSON]
    roles: dict[str, JSON]
    channels: dict[str, JSON]
    attachments: dict[str, JSON]

    def as_payload(self) -> JSON:
        return {k: v for k, v in vars(self).items() if v}


def find_command(commands: list[JSON], name: str) -> JSON | None:
    """The chat-input command called `name` in a synced schema list."""
    for command in commands:
        if command.get("type", 1) == 1 and command.get("name") == name:
            return command
    return None


def _check_permission(command: JSON, invocation: Invocation) -> None:
    granted = invocation.world.channel_permissions(invocation.channel.id, invocation.user_id)
    if not perms.has_all(granted, perms.USE_APPLICATION_COMMANDS):
        raise CommandRefused(f"You can't use application commands in #{invocation.channel.name}.")
    required_text = command.get("default_member_permissions")
    if required_text is None:
        return
    required = int(required_text)
    if required == 0 and not perms.has_all(granted, perms.ADMINISTRATOR):
        raise CommandRefused(f"/{command['name']} is disabled for everyone except admins.")
    if not perms.has_all(granted, required):
        missing = perms.describe_missing(granted, required)
        raise CommandRefused(
            f"You don't have permission to use /{command['name']} here (needs {missing})."
        )


def _descend(command: JSON, path: tuple[str, ...]) -> tuple[list[JSON], list[JSON], str]:
    """Walk the path; return (option schemas of the leaf, wrapper chain, display name)."""
    display = f"/{command['name']}"
    options: list[JSON] = command.get("options") or []
    chain: list[JSON] = []
    for word in path[1:]:
        subs = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            raise CommandRefused(f"{display} has no subcommand called '{word}'.")
        match = next((o for o in subs if o["name"] == word), None)
        if match is None:
            names = ", ".join(o["name"] for o in subs)
            raise CommandRefused(f"{display} has no subcommand '{word}'; choose one of: {names}.")
        chain.append(match)
        display = f"{display} {word}"
        options = match.get("options") or []
    subs = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subs:
        names = ", ".join(o["name"] for o in subs)
        raise CommandRefused(f"{display} needs a subcommand: {names}.")
    return options, chain, display


def _check_choices(schema: JSON, raw: str, value: Any, display: str) -> Any:
    choices: list[JSON] = schema.get("choices") or []
    if not choices:
        return value
    for choice in choices:
        if str(choice["value"]) == raw or choice["name"].lower() == raw.lower():
            return choice["value"]
    names = ", ".join(c["name"] for c in choices)
    raise CommandRefused(f"'{raw}' is not a choice for {display}; choose one of: {names}.")


def _check_range(schema: JSON, value: float, display: str) -> None:
    low, high = schema.get("min_value"), schema.get("max_value")
    if low is not None and value < low:
        raise CommandRefused(f"{display} must be at least {low} (got {value}).")
    if high is not None and value > high:
        raise CommandRefused(f"{display} must be at most {high} (got {value}).")


def _numeric(schema: JSON, raw: str, display: str) -> Any:
    kind = schema["type"]
    try:
        value: float = int(raw) if kind == INTEGER else float(raw)
    except ValueError:
        raise CommandRefused(f"{display} must be {TYPE_NAMES[kind]}, not '{raw}'.") from None
    if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
        raise CommandRefused(f"{display} is out of range: '{raw}'.")
    if schema.get("choices"):
        return _check_choices(schema, raw, value, display)
    _check_range(schema, value, display)
    return value


def _string(schema: JSON, raw: str, display: str) -> str:
    if schema.get("choices"):
        return str(_check_choices(schema, raw, raw, display))
    if raw == "":
        raise CommandRefused(f"{display} can't be empty.")
    low, high = schema.get("min_length"), schema.get("max_length", 6000)
    if low is not None and len(raw) < low:
        raise CommandRefused(f"{display} must be at least {low} characters long.")
    if high is not None and len(raw) > high:
        raise CommandRefused(f"{display} must be at most {high} characters long.")
    return raw


def _user(raw: str, invocation: Invocation, resolved: _Resolved) -> str | None:
    world, guild = invocation.world, invocation.guild
    mention = _USER_MENTION.fullmatch(raw)
    try:
        user_id = int(mention.group(1)) if mention else world.user_id(raw.removeprefix("@"))
    except KeyError:
        return None
    user = world.user(user_id)
    if user is None:
        return None
    resolved.users[str(user_id)] = payloads.user_payload(user)
    if user_id in guild.members:
        granted = world.channel_permissions(invocation.channel.id, user_id)
        member = payloads.member_payload(
            world, guild, user_id, with_user=False, permissions=granted
        )
        resolved.members[str(user_id)] = member
    return str(user_id)


def _role(raw: str, invocation: Invocation, resolved: _Resolved) -> str | None:
    guild = invocation.guild
    mention = _ROLE_MENTION.fullmatch(raw)
    if mention:
        role = guild.role(int(mention.group(1)))
    else:
        bare = raw if raw == "@everyone" else raw.removeprefix("@")
        role = next((r for r in guild.roles if r.name == bare), None)
    if role is None:
        return None
    resolved.roles[str(role.id)] = payloads.role_payload(role)
    return str(role.id)


def _channel(
    schema: JSON, raw: str, invocation: Invocation, resolved: _Resolved, display: str
) -> str:
    guild = invocation.guild
    mention = _CHANNEL_MENTION.fullmatch(raw)
    channels = guild.live_channels()
    if mention:
        channel = next((c for c in channels if c.id == int(mention.group(1))), None)
    else:
        channel = next((c for c in channels if c.name == raw.removeprefix("#")), None)
    if channel is None:
        raise CommandRefused(f"{display}: there is no channel {raw} in {guild.name}.")
    allowed_types: list[int] = schema.get("channel_types") or []
    if allowed_types and channel.type not in allowed_types:
        raise CommandRefused(f"{display}: #{channel.name} is not the right kind of channel.")
    granted = invocation.world.channel_permissions(channel.id, invocation.user_id)
    if not granted & perms.VIEW_CHANNEL:
        raise CommandRefused(f"{display}: there is no channel {raw} in {guild.name}.")
    resolved.channels[str(channel.id)] = payloads.resolved_channel_payload(guild, channel, granted)
    return str(channel.id)


def _attachment(
    given: FileSource | str, invocation: Invocation, resolved: _Resolved, display: str
) -> str:
    """Store a typed path's file (or given bytes) and resolve it as an attachment."""
    if invocation.uploads is None:
        raise CommandRefused(f"{display} needs a file, and files can't be attached here.")
    try:
        source = read_local_file(given) if isinstance(given, str) else given
        upload = invocation.uploads.add(source)
    except UploadError as error:
        raise CommandRefused(f"{display}: {error}") from None
    resolved.attachments[str(upload.id)] = upload.payload()
    return str(upload.id)


def _convert(
    schema: JSON, raw: str, invocation: Invocation, resolved: _Resolved, display: str
) -> Any:
    kind = schema["type"]
    if kind == STRING:
        return _string(schema, raw, display)
    if kind in (INTEGER, NUMBER):
        return _numeric(schema, raw, display)
    if kind == BOOLEAN:
        if raw.lower() not in BOOLEAN_WORDS:
            raise CommandRefused(f"{display} must be true or false, not '{raw}'.")
        return BOOLEAN_WORDS[raw.lower()]
    if kind == CHANNEL:
        return _channel(schema, raw, invocation, resolved, display)
    found: str | None = None
    if kind in (USER, MENTIONABLE):
        found = _user(raw, invocation, resolved)
    if found is None and kind in (ROLE, MENTIONABLE):
        found = _role(raw, invocation, resolved)
    if kind in (USER, ROLE, MENTIONABLE):
        if found is None:
            raise CommandRefused(f"{display} must be {TYPE_NAMES[kind]}; '{raw}' is not one here.")
        return found
    if kind == ATTACHMENT:
        return _attachment(raw, invocation, resolved, display)
    raise CommandRefused(f"{display} has an option type ({kind}) the sandbox does not know.")


def _check_focused(by_name: dict[str, JSON], focused: str, display: str) -> None:
    schema = by_name.get(focused)
    if schema is None:
        known = ", ".join(by_name) or "none"
        raise CommandRefused(f"{display} has no option '{focused}' (options: {known}).")
    if not schema.get("autocomplete"):
        raise CommandRefused(f"{display} {focused} does not offer suggestions.")


def build_command_data(
    line: ParsedCommandLine,
    command: JSON,
    invocation: Invocation,
    *,
    command_guild_id: int | None,
    focused: str | None = None,
) -> JSON:
    """The interaction `data` for a typed command (or autocomplete), or raise CommandRefused."""
    _check_permission(command, invocation)
    schemas, chain, display = _descend(command, line.path)
    by_name = {s["name"]: s for s in schemas}
    if focused is not None:
        _check_focused(by_name, focused, display)
    for name in [*line.options, *invocation.files]:
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise CommandRefused(f"{display} has no option '{name}' (options: {known}).")
    for name in invocation.files:
        if name in line.options:
            raise CommandRefused(f"The option {name} is given twice (typed and as a file).")
        if by_name[name]["type"] != ATTACHMENT:
            raise CommandRefused(f"{display} {name} is not a file option.")
    resolved = _Resolved({}, {}, {}, {}, {})
    values: list[JSON] = []
    for schema in schemas:
        name = schema["name"]
        option_display = f"{display} {name}"
        if name == focused:
            value: Any = line.options.get(name, "")
            values.append({"name": name, "type": schema["type"], "value": value, "focused": True})
            continue
        if name in invocation.files:
            value = _attachment(invocation.files[name], invocation, resolved, option_display)
        elif name in line.options:
            value = _convert(schema, line.options[name], invocation, resolved, option_display)
        else:
            if schema.get("required") and focused is None:
                raise CommandRefused(f"{display} needs the option {name}.")
            continue
        values.append({"name": name, "type": schema["type"], "value": value})
    nested: list[JSON] = values
    for wrapper in reversed(chain):
        nested = [{"name": wrapper["name"], "type": wrapper["type"], "options": nested}]
    data: JSON = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
    if resolved.as_payload():
        data["resolved"] = resolved.as_payload()
    if command_guild_id is not None:
        data["guild_id"] = str(command_guild_id)
    return data
