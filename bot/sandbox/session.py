"""What happened in a sandbox session, in order: the lines people typed and what the bot sent.

Rules:
- every message the bot sends gets a number the first time it is seen (an edit keeps the
  number of the message it edits and replaces its look, marked edited), so a person can name
  it (``:click Next on 3``);
- mentions are written as a person sees them (``#news``, ``@asia-desk``, ``@admin``);
  timestamps stay Discord markup for the reader (terminal or page) to render;
- files the bot attaches are saved into ``files_dir`` as ``NNN-name`` (NNN: the message's
  number), written off the event loop; ``flush()`` waits for the writes;
- an ephemeral message is seen only by the person whose interaction produced it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.sandbox.fake_discord import RecordedMessage, Sandbox

_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SavedAttachment:
    """A file the bot attached, and where the session saved it (None when not saved)."""

    filename: str
    size: int
    path: Path | None


@dataclass
class SessionMessage:
    """One message the bot sent, as it looks now."""

    number: int
    message_id: int
    kind: str
    guild: str
    channel: str
    author: str
    ephemeral: bool
    seen_by: str | None
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    attachments: list[SavedAttachment]
    created_at: datetime
    line: str | None
    edited: bool = False


@dataclass(frozen=True)
class SessionLine:
    """A line a person typed: who, where, what, and what Discord itself answered (if it did)."""

    user: str
    guild: str
    channel: str
    text: str
    at: datetime
    answer: str | None = None


@dataclass
class SessionLog:
    """The session so far; ``entries`` holds lines and messages in the order they happened."""

    sandbox: Sandbox
    files_dir: Path | None = None
    entries: list[SessionLine | SessionMessage] = field(default_factory=list)
    current_line: str | None = None
    _by_id: dict[int, SessionMessage] = field(default_factory=dict)
    _writes: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def messages(self) -> list[SessionMessage]:
        """Every message, oldest first."""
        return [entry for entry in self.entries if isinstance(entry, SessionMessage)]

    def note_line(self, line: SessionLine) -> None:
        """Record a typed line (a command or a directive)."""
        self.entries.append(line)

    def answer_line(self, answer: str) -> None:
        """Record what Discord answered the latest typed line (a refusal, a timeout)."""
        for index in range(len(self.entries) - 1, -1, -1):
            entry = self.entries[index]
            if isinstance(entry, SessionLine):
                self.entries[index] = SessionLine(
                    entry.user, entry.guild, entry.channel, entry.text, entry.at, answer
                )
                return

    def by_number(self, number: int) -> SessionMessage | None:
        """The message shown with this number, if any."""
        return next((m for m in self._by_id.values() if m.number == number), None)

    def record(self, message: RecordedMessage) -> SessionMessage:
        """Add a new message or apply an edit to the one it edits; return the session's view."""
        render = self.sandbox.render_mentions
        content = render(message.content)
        embeds = [_render_strings(embed, render) for embed in message.embeds]
        known = self._by_id.get(message.edited_message_id or message.id)
        if known is not None:
            # Completing a deferred reply ("Newsdesk is thinking…") is no edit to a reader.
            known.edited = message.kind == "edit" and bool(known.content or known.embeds)
            known.content, known.embeds = content, embeds
            known.components = list(message.components)
            if message.attachments:
                known.attachments = self._save(known.number, message.attachments)
            return known
        world = self.sandbox.world
        found = world.find_channel(message.channel_id)
        guild = found[0].name if found is not None else ""
        number = len(self._by_id) + 1
        seen_by = None
        if message.ephemeral and message.interaction_id is not None:
            interaction = self.sandbox.state.interactions.get(message.interaction_id)
            if interaction is not None:
                seen_by = world.user_name(interaction.user_id)
        entry = SessionMessage(
            number=number,
            message_id=message.id,
            kind=message.kind,
            guild=guild,
            channel=_channel_name(self.sandbox, message),
            author=self._author(message),
            ephemeral=message.ephemeral,
            seen_by=seen_by,
            content=content,
            embeds=embeds,
            components=list(message.components),
            attachments=self._save(number, message.attachments),
            created_at=message.created_at.astimezone(UTC),
            line=self.current_line,
        )
        self._by_id[message.id] = entry
        self.entries.append(entry)
        return entry

    def _author(self, message: RecordedMessage) -> str:
        stored = self.sandbox.state.store.get(message.id)
        author = stored.payload.get("author") if stored is not None else None
        if isinstance(author, dict) and author.get("username"):
            return str(author["username"])
        return self.sandbox.world.user_name(self.sandbox.bot_user_id)

    def _save(self, number: int, files: list[tuple[str, bytes]]) -> list[SavedAttachment]:
        saved: list[SavedAttachment] = []
        for filename, data in files:
            path = None
            if self.files_dir is not None:
                safe = _UNSAFE_FILE_CHARACTERS.sub("_", Path(filename).name) or "file"
                path = self.files_dir / f"{number:03d}-{safe}"
                task = asyncio.get_running_loop().create_task(_write(path, data))
                self._writes.add(task)
                task.add_done_callback(self._writes.discard)
            saved.append(SavedAttachment(filename, len(data), path))
        return saved

    async def flush(self) -> None:
        """Wait until every attachment is written."""
        while self._writes:
            await asyncio.gather(*list(self._writes))


async def _write(path: Path, data: bytes) -> None:
    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    await asyncio.to_thread(write)


def _channel_name(sandbox: Sandbox, message: RecordedMessage) -> str:
    if message.thread_name is not None and message.parent_id is not None:
        return f"{sandbox.world.channel_name(message.parent_id)} › {message.thread_name}"
    return sandbox.world.channel_name(message.channel_id)


def _render_strings(value: Any, render: Any) -> Any:
    if isinstance(value, str):
        return render(value)
    if isinstance(value, dict):
        return {key: _render_strings(item, render) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_strings(item, render) for item in value]
    return value
