"""``newsdesk sandbox --html FILE``: the session as a page that looks like Discord.

Rules:
- one self-contained HTML file (its style inline, no script, nothing fetched from the
  network), dark theme; files the bot attached are linked (images shown) by their path
  relative to the page;
- the lines people typed appear as they would in Discord's client: a command as "used
  /command", a click or a form as what the person did, and Discord's own refusals under them;
- each message shows its author, time, channel, text (Discord's markdown: bold, code,
  links, timestamps in the reader's words), embeds with their colour bar, author, linked
  title, fields, image, footer and timestamp, attachments, buttons and menus; an ephemeral
  message says who alone sees it; an edited one says "(edited)".
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.sandbox.message_display import relative_time
from bot.sandbox.session import SavedAttachment, SessionLine, SessionLog, SessionMessage

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
BUTTON = 2
BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link"}
DEFAULT_EMBED_COLOUR = "#202225"
_INLINE = re.compile(
    r"<t:(?P<ts>-?\d+)(?::(?P<style>[tTdDfFR]))?>"
    r"|\[(?P<label>[^\]\n]+)\]\(<?(?P<href>https?://[^)\s>]+)>?\)"
    r"|<(?P<angle>https?://[^>\s]+)>"
    r"|(?P<bare>https?://[^\s<>()]+)"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|`(?P<code>[^`\n]+)`"
)
_TIME_FORMATS = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%d/%m/%Y",
    "D": "%-d %B %Y",
    "f": "%-d %B %Y %H:%M",
    "F": "%A, %-d %B %Y %H:%M",
}

STYLE = """
:root { color-scheme: dark; }
* { box-sizing: border-box; }
body { margin: 0; background: #313338; color: #dbdee1; display: flex; min-height: 100vh;
  font: 16px/1.375 "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif; }
a { color: #00a8fc; text-decoration: none; }
a:hover { text-decoration: underline; }
nav { width: 240px; flex: none; background: #2b2d31; padding: 12px 8px; }
nav h1 { font-size: 16px; color: #f2f3f5; margin: 0 8px 16px; padding-bottom: 12px;
  border-bottom: 1px solid #1f2023; }
nav h2 { font-size: 12px; text-transform: uppercase; color: #949ba4; margin: 16px 8px 4px; }
nav .channel { color: #949ba4; padding: 6px 8px; border-radius: 4px; }
nav .channel.active { background: #404249; color: #f2f3f5; }
main { flex: 1; min-width: 0; }
header { height: 48px; display: flex; align-items: center; padding: 0 16px; color: #f2f3f5;
  font-weight: 600; border-bottom: 1px solid #1f2023; box-shadow: 0 1px 0 rgba(0,0,0,.2); }
header small { color: #949ba4; font-weight: 400; margin-left: 12px; }
.log { padding: 16px 0 32px; }
.message { display: flex; padding: 6px 16px 6px 16px; margin-top: 10px; }
.message:hover { background: #2e3035; }
.avatar { width: 40px; height: 40px; border-radius: 50%; flex: none; margin-right: 16px;
  display: flex; align-items: center; justify-content: center; color: #fff;
  font-weight: 700; }
.avatar.bot { background: #5865f2; }
.avatar.person { background: #3ba55c; }
.body { min-width: 0; flex: 1; }
.meta { display: flex; align-items: baseline; gap: 8px; }
.name { color: #f2f3f5; font-weight: 500; }
.tag { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; padding: 1px 4px;
  border-radius: 3px; text-transform: uppercase; vertical-align: 2px; }
.time, .where, .edited { color: #949ba4; font-size: 12px; }
.where { background: #2b2d31; border-radius: 3px; padding: 0 6px; }
.used { color: #949ba4; font-size: 14px; margin: 0 0 2px 56px; }
.used .who { color: #f2f3f5; }
.used code, .content code { background: #2b2d31; border-radius: 3px; padding: 0 4px;
  font: 14px/1.4 Consolas, "Andale Mono", monospace; }
.answer { color: #f23f43; font-size: 14px; margin-left: 56px; }
.content { white-space: pre-wrap; overflow-wrap: anywhere; }
.ephemeral { background: rgba(88,101,242,.07); border-left: 2px solid #5865f2; }
.only { color: #949ba4; font-size: 12px; margin-top: 4px; }
.embed { display: flex; max-width: 520px; margin-top: 6px; background: #2b2d31;
  border-radius: 4px; border-left: 4px solid #202225; }
.embed-inner { padding: 8px 16px 16px 12px; min-width: 0; flex: 1; }
.embed-author { font-size: 14px; font-weight: 600; color: #f2f3f5; margin-top: 8px; }
.embed-title { font-weight: 600; margin-top: 8px; color: #f2f3f5; }
.embed-description { font-size: 14px; margin-top: 8px; white-space: pre-wrap; }
.fields { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin-top: 8px; }
.field { grid-column: span 3; font-size: 14px; }
.field.inline { grid-column: span 1; }
.field-name { font-weight: 600; color: #f2f3f5; }
.embed-image { max-width: 100%; max-height: 300px; border-radius: 4px; margin-top: 16px;
  display: block; }
.thumbnail { width: 80px; height: 80px; object-fit: cover; border-radius: 4px;
  margin: 16px 16px 0 0; }
.embed-footer { font-size: 12px; color: #b5bac1; margin-top: 8px; }
.attachment { display: flex; align-items: center; gap: 12px; max-width: 432px; margin-top: 6px;
  padding: 10px; background: #2b2d31; border: 1px solid #1f2023; border-radius: 8px; }
.attachment .size { color: #949ba4; font-size: 12px; }
.file-icon { width: 24px; height: 30px; flex: none; border-radius: 2px 8px 2px 2px;
  background: #5865f2; }
.system { color: #949ba4; font-size: 13px; margin: 6px 0 0 56px; font-style: italic; }
.attachment-image { max-width: 520px; max-height: 360px; border-radius: 8px; margin-top: 6px;
  display: block; background: #fff; }
.row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
.button { font-size: 14px; font-weight: 500; color: #fff; padding: 2px 16px; height: 32px;
  border-radius: 3px; display: inline-flex; align-items: center; gap: 4px; }
.button.primary { background: #5865f2; }
.button.secondary { background: #4e5058; }
.button.success { background: #248046; }
.button.danger { background: #da373c; }
.button.link { background: #4e5058; }
.button.disabled { opacity: .5; }
.select { width: 400px; max-width: 100%; height: 40px; background: #1e1f22; border-radius: 4px;
  color: #949ba4; display: flex; align-items: center; justify-content: space-between;
  padding: 0 12px; margin-top: 8px; }
"""


def _when(moment: datetime, style: str | None, now: datetime) -> str:
    if style == "R":
        return relative_time(moment, now)
    return moment.strftime(_TIME_FORMATS.get(style or "f", _TIME_FORMATS["f"])) + " UTC"


def markdown(text: str, now: datetime) -> str:
    """Discord's inline markdown as HTML: bold, code, links, bare addresses, timestamps."""
    parts: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        position = match.end()
        groups = match.groupdict()
        if groups["ts"] is not None:
            moment = datetime.fromtimestamp(int(groups["ts"]), tz=UTC)
            parts.append(
                f'<time class="stamp" datetime="{moment.isoformat()}">'
                f"{html.escape(_when(moment, groups['style'], now))}</time>"
            )
        elif groups["href"] is not None:
            parts.append(_link(groups["href"], markdown(groups["label"], now)))
        elif groups["angle"] is not None or groups["bare"] is not None:
            url = groups["angle"] or groups["bare"]
            parts.append(_link(url, html.escape(url)))
        elif groups["bold"] is not None:
            parts.append(f"<strong>{markdown(groups['bold'], now)}</strong>")
        else:
            parts.append(f"<code>{html.escape(groups['code'])}</code>")
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _web(url: object) -> str | None:
    """The address if it is http(s) (the page never links or loads anything else)."""
    text = str(url or "")
    return text if text.startswith(("http://", "https://")) else None


def _link(url: str, label_html: str) -> str:
    if _web(url) is None:
        return label_html
    return f'<a href="{html.escape(url, quote=True)}">{label_html}</a>'


def _colour(embed: dict[str, Any]) -> str:
    value = embed.get("color")
    return f"#{int(value):06x}" if isinstance(value, int) else DEFAULT_EMBED_COLOUR


def _embed(embed: dict[str, Any], now: datetime) -> str:
    text: Callable[[str], str] = lambda value: markdown(value, now)  # noqa: E731
    inner: list[str] = []
    author = embed.get("author") or {}
    if author.get("name"):
        name = html.escape(str(author["name"]))
        inner.append(
            '<div class="embed-author">'
            + (_link(str(author["url"]), name) if author.get("url") else name)
            + "</div>"
        )
    if embed.get("title"):
        title = html.escape(str(embed["title"]))
        linked = _link(str(embed["url"]), title) if embed.get("url") else title
        inner.append(f'<div class="embed-title">{linked}</div>')
    if embed.get("description"):
        inner.append(f'<div class="embed-description">{text(str(embed["description"]))}</div>')
    fields = embed.get("fields") or []
    if fields:
        cells = "".join(
            f'<div class="field{" inline" if item.get("inline") else ""}">'
            f'<div class="field-name">{text(str(item.get("name", "")))}</div>'
            f"<div>{text(str(item.get('value', '')))}</div></div>"
            for item in fields
        )
        inner.append(f'<div class="fields">{cells}</div>')
    image = _web((embed.get("image") or {}).get("url"))
    if image:
        inner.append(f'<img class="embed-image" alt="" src="{html.escape(str(image), True)}">')
    footer_parts = []
    if (embed.get("footer") or {}).get("text"):
        footer_parts.append(html.escape(str(embed["footer"]["text"])))
    if embed.get("timestamp"):
        moment = datetime.fromisoformat(str(embed["timestamp"]))
        footer_parts.append(
            f'<time class="stamp" datetime="{moment.isoformat()}">'
            f"{html.escape(_when(moment, 'f', now))}</time>"
        )
    if footer_parts:
        inner.append(f'<div class="embed-footer">{" • ".join(footer_parts)}</div>')
    thumbnail = _web((embed.get("thumbnail") or {}).get("url"))
    side = (
        f'<img class="thumbnail" alt="" src="{html.escape(str(thumbnail), True)}">'
        if thumbnail
        else ""
    )
    return (
        f'<div class="embed" style="border-left-color: {_colour(embed)}">'
        f'<div class="embed-inner">{"".join(inner)}</div>{side}</div>'
    )


def _attachment(attachment: SavedAttachment, page: Path) -> str:
    name = html.escape(attachment.filename)
    if attachment.path is None:
        size = f'<span class="size">{attachment.size} bytes</span>'
        return f'<div class="attachment"><span class="file-icon"></span>{name} {size}</div>'
    href = html.escape(Path(os.path.relpath(attachment.path, page.parent)).as_posix(), True)
    if attachment.path.suffix.lower() in IMAGE_SUFFIXES:
        return f'<a href="{href}"><img class="attachment-image" alt="{name}" src="{href}"></a>'
    return (
        f'<div class="attachment"><span class="file-icon"></span><a href="{href}">{name}</a>'
        f'<span class="size">{attachment.size} bytes</span></div>'
    )


def _components(components: list[dict[str, Any]]) -> str:
    rows: list[str] = []
    for row in components:
        items: list[str] = []
        for item in row.get("components", []):
            if item.get("type") == BUTTON:
                style = BUTTON_STYLES.get(int(item.get("style", 2)), "secondary")
                disabled = " disabled" if item.get("disabled") else ""
                emoji = html.escape(str((item.get("emoji") or {}).get("name") or ""))
                label = html.escape(str(item.get("label") or ""))
                face = f"{emoji} {label}".strip()
                if _web(item.get("url")):
                    link = html.escape(str(item["url"]), True)
                    items.append(f'<a class="button {style}{disabled}" href="{link}">{face} ↗</a>')
                else:
                    items.append(f'<span class="button {style}{disabled}">{face}</span>')
            else:
                placeholder = html.escape(str(item.get("placeholder") or "Make a selection"))
                items.append(f'<div class="select"><span>{placeholder}</span><span>⌄</span></div>')
        rows.append(f'<div class="row">{"".join(items)}</div>')
    return "".join(rows)


def _message(message: SessionMessage, page: Path, now: datetime, primary: str) -> str:
    classes = "message ephemeral" if message.ephemeral else "message"
    edited = ' <span class="edited">(edited)</span>' if message.edited else ""
    body = [
        '<div class="meta">'
        f'<span class="name">{html.escape(message.author)}</span> <span class="tag">App</span>'
        f'<time class="time" datetime="{message.created_at.isoformat()}">'
        f"{message.created_at:%H:%M} UTC</time>"
        f'<span class="where">{_where(message.guild, message.channel, primary)}</span></div>'
    ]
    if message.content:
        body.append(f'<div class="content">{markdown(message.content, now)}{edited}</div>')
    elif edited:
        body.append(f"<div>{edited}</div>")
    body.extend(_embed(embed, now) for embed in message.embeds)
    body.extend(_attachment(attachment, page) for attachment in message.attachments)
    body.append(_components(message.components))
    if message.ephemeral:
        who = f" ({html.escape(message.seen_by)})" if message.seen_by else ""
        body.append(f'<div class="only">Only you{who} can see this · Dismiss message</div>')
    initial = html.escape(message.author[:1].upper())
    return (
        f'<div class="{classes}" id="message-{message.number}">'
        f'<div class="avatar bot">{initial}</div><div class="body">{"".join(body)}</div></div>'
    )


def _where(guild: str, channel: str, primary: str) -> str:
    """A channel as the page names it: with its server when that is not the first one."""
    return html.escape(f"#{channel}" if guild == primary else f"{guild} #{channel}")


def _line(line: SessionLine, now: datetime, primary: str) -> str:
    who = f'<span class="who">{html.escape(line.user)}</span>'
    text = line.text
    name, _, argument = text.partition(" ")
    argument_html = html.escape(argument)
    if text.startswith("/"):
        did = f"used <code>{html.escape(text)}</code>"
    elif name == ":click":
        did = f"clicked <strong>{argument_html}</strong>"
    elif name == ":select":
        did = f"chose <strong>{argument_html}</strong>"
    elif name == ":modal":
        did = f"submitted a form: <code>{argument_html}</code>"
    elif name == ":attach":
        did = f"attached <strong>{argument_html}</strong>"
    elif name in {":as", ":channel", ":guild"}:
        what = {":as": "Now acting as", ":channel": "Now typing in", ":guild": "Now in server"}
        return f'<div class="system">{what[name]} {argument_html}</div>'
    else:
        return f'<div class="system">{html.escape(text)}</div>'
    where = _where(line.guild, line.channel, primary)
    parts = [f'<div class="used">{who} {did} <span class="where">{where}</span></div>']
    if line.answer:
        parts.append(f'<div class="answer">{markdown(line.answer, now)}</div>')
    return "".join(parts)


def session_page(log: SessionLog, page: Path, now: datetime | None = None) -> str:
    """Return the HTML of the session page written at ``page``."""
    current = now or datetime.now(UTC)
    world = log.sandbox.world
    guild = world.primary
    used = {m.channel for m in log.messages}
    channels = "".join(
        f'<div class="channel{" active" if c.name in used else ""}"># {html.escape(c.name)}</div>'
        for c in guild.live_channels()
    )
    others = "".join(
        f'<div class="channel">{html.escape(g.name)}</div>' for g in world.guilds[1:]
    )
    entries: list[str] = []
    for entry in log.entries:
        if isinstance(entry, SessionMessage):
            entries.append(_message(entry, page, current, guild.name))
        elif not entry.text.startswith(("#", ":wait", ":poll", ":help")):
            entries.append(_line(entry, current, guild.name))
    title = html.escape(f"{guild.name} — Newsdesk sandbox session")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f"<nav><h1>{html.escape(guild.name)}</h1><h2>Text channels</h2>{channels}"
        + (f"<h2>Other servers</h2>{others}" if others else "")
        + "</nav><main><header># session<small>"
        f"{len(log.messages)} messages · written {current:%-d %B %Y %H:%M} UTC</small></header>"
        f'<div class="log">{"".join(entries)}</div></main></body></html>\n'
    )


def write_page(page: Path, text: str) -> None:
    """Write a rendered page (blocking: call it off the event loop)."""
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
