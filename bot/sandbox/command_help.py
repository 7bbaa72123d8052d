"""``:help /command``: a command's options as Discord's client shows them while typing.

Read from the schema the bot synced to the sandbox, so it is always the bot's own: each
option with its kind, whether it is required, its description, and its limits (ranges,
lengths, choices, channel kinds, autocomplete).
"""

from __future__ import annotations

from typing import Any

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
ATTACHMENT = 11
KIND_NAMES = {
    3: "text",
    4: "whole number",
    5: "true/false",
    6: "user",
    7: "channel",
    8: "role",
    9: "user or role",
    10: "number",
    ATTACHMENT: "file",
}
CHANNEL_KIND_NAMES = {
    0: "text", 2: "voice", 4: "category", 5: "announcement", 15: "forum", 16: "media"
}


class UnknownCommand(LookupError):
    """No such command or subcommand; str(error) is a sentence."""


def _find(commands: list[dict[str, Any]], path: list[str]) -> tuple[str, dict[str, Any]]:
    """Walk ``path`` (``["feed", "add"]``) through the schema; return (display name, node)."""
    if not path:
        raise UnknownCommand("Name a command, for example :help /feed add.")
    node = next((c for c in commands if c.get("name") == path[0] and c.get("type", 1) == 1), None)
    if node is None:
        names = ", ".join(sorted(f"/{c['name']}" for c in commands if c.get("type", 1) == 1))
        raise UnknownCommand(f"There is no command /{path[0]}. The commands are: {names}.")
    display = f"/{path[0]}"
    for word in path[1:]:
        subs = [o for o in node.get("options") or [] if o.get("type") in (1, 2)]
        match = next((o for o in subs if o.get("name") == word), None)
        if match is None:
            names = ", ".join(o["name"] for o in subs) or "none"
            raise UnknownCommand(f"{display} has no subcommand {word} (it has: {names}).")
        node, display = match, f"{display} {word}"
    return display, node


def _limits(option: dict[str, Any]) -> list[str]:
    limits: list[str] = []
    low, high = option.get("min_value"), option.get("max_value")
    if low is not None or high is not None:
        limits.append(f"{'' if low is None else low}–{'' if high is None else high}")
    low, high = option.get("min_length"), option.get("max_length")
    if low is not None or high is not None:
        limits.append(f"{low or 0}–{high if high is not None else ''} characters")
    kinds = option.get("channel_types") or []
    if kinds:
        limits.append(" or ".join(CHANNEL_KIND_NAMES.get(k, str(k)) for k in kinds) + " channel")
    if option.get("autocomplete"):
        limits.append("suggestions as you type")
    return limits


def _option_line(option: dict[str, Any]) -> str:
    kind = KIND_NAMES.get(int(option.get("type", 3)), "value")
    facts = [kind, "required" if option.get("required") else "optional", *_limits(option)]
    line = f"  {option['name']}: ({', '.join(facts)}) {option.get('description', '')}".rstrip()
    choices = option.get("choices") or []
    if choices:
        line += "\n    choices: " + ", ".join(str(c.get("value")) for c in choices)
    return line


def command_help(commands: list[dict[str, Any]], path: list[str]) -> str:
    """Describe a command (or group) of a synced schema; raise UnknownCommand."""
    display, node = _find(commands, path)
    lines = [f"{display} — {node.get('description', '')}".rstrip(" —")]
    options = node.get("options") or []
    subs = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subs:
        lines.extend(f"  {display} {o['name']} — {o.get('description', '')}" for o in subs)
        lines.append(f"  (:help {display} NAME shows a subcommand's options)")
        return "\n".join(lines)
    if not options:
        lines.append("  (no options)")
    lines.extend(_option_line(option) for option in options)
    return "\n".join(lines)


def attachment_option(commands: list[dict[str, Any]], path: list[str]) -> str | None:
    """The name of the file option of a command, if it has one."""
    try:
        _, node = _find(commands, path)
    except UnknownCommand:
        return None
    return next(
        (str(o["name"]) for o in node.get("options") or [] if o.get("type") == ATTACHMENT), None
    )
