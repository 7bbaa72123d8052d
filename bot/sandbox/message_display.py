"""Showing what the bot sent, readably, in a terminal: embeds as text blocks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.session import SessionMessage

BUTTON = 2

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")


def relative_time(moment: datetime, now: datetime) -> str:
    """Say how long ago (or how far ahead) ``moment`` is, as Discord's ``:R`` style does."""
    seconds = int((now - moment).total_seconds())
    ahead = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = seconds // size
            amount = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {amount}" if ahead else f"{amount} ago"
    return "now"


def render_timestamps(text: str, now: datetime | None = None) -> str:
    """Replace Discord timestamp markup with a readable UTC time (or a relative one)."""
    current = now or datetime.now(tz=UTC)

    def readable(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(1)), tz=UTC)
        if match.group(2) == "R":
            return relative_time(moment, current)
        return moment.strftime("%Y-%m-%d %H:%M UTC")

    return _TIMESTAMP.sub(readable, text)


def _embed_lines(embed: dict[str, Any], readable: Any) -> list[str]:
    lines: list[str] = []
    author = embed.get("author", {}).get("name")
    if author:
        lines.append(f"│ {readable(author)}")
    title = embed.get("title")
    if title:
        url = embed.get("url")
        lines.append(f"│ **{readable(title)}**" + (f"  <{url}>" if url else ""))
    description = embed.get("description")
    if description:
        lines.extend(f"│ {part}" for part in readable(description).splitlines())
    for item in embed.get("fields", []):
        lines.append(f"│ {readable(item.get('name', ''))}: {readable(item.get('value', ''))}")
    image = embed.get("image", {}).get("url")
    if image:
        lines.append(f"│ [image] {image}")
    footer = [readable(embed.get("footer", {}).get("text") or "")]
    if embed.get("timestamp"):
        moment = datetime.fromisoformat(str(embed["timestamp"])).astimezone(UTC)
        footer.append(moment.strftime("%Y-%m-%d %H:%M UTC"))
    if any(footer):
        lines.append("│ " + " · ".join(part for part in footer if part))
    return ["┌" + "─" * 40, *lines, "└" + "─" * 40]


def component_lines(components: list[dict[str, Any]]) -> list[str]:
    """Buttons as ``[Label]`` on one line per row; a menu as its placeholder and its options."""
    lines: list[str] = []
    for row in components:
        buttons: list[str] = []
        for item in row.get("components", []):
            if item.get("type") == BUTTON:
                label = str(item.get("label") or item.get("emoji", {}).get("name") or "button")
                suffix = " (disabled)" if item.get("disabled") else ""
                link = f" <{item['url']}>" if item.get("url") else ""
                buttons.append(f"[{label}{suffix}]{link}")
            else:
                placeholder = item.get("placeholder") or "Choose…"
                lines.append(f"[menu: {placeholder} ▾]")
                lines.extend(
                    f"  · {option.get('value')} — {option.get('label')}"
                    for option in item.get("options", [])
                )
        if buttons:
            lines.append(" ".join(buttons))
    return lines


def render_session_message(
    message: SessionMessage, now: datetime | None = None, *, primary: str | None = None
) -> str:
    """Return a multi-line, human-readable rendering of one message of the session (its
    server named when it is not ``primary``)."""

    def readable(text: str) -> str:
        return render_timestamps(text, now)

    where = f"#{message.channel}"
    if primary is not None and message.guild != primary:
        where += f" ({message.guild})"
    label = message.kind + (" (only you can see this)" if message.ephemeral else "")
    if message.edited:
        label += " (edited)"
    lines = [f"[{message.number}] {where} {message.author} · {label}"]
    if message.content:
        lines.extend(f"  {part}" for part in readable(message.content).splitlines())
    for embed in message.embeds:
        lines.extend(f"  {part}" for part in _embed_lines(embed, readable))
    for attachment in message.attachments:
        saved = f" saved to {attachment.path}" if attachment.path is not None else ""
        lines.append(f"  [attachment] {attachment.filename} ({attachment.size} bytes){saved}")
    lines.extend(f"  {part}" for part in component_lines(message.components))
    return "\n".join(lines)
