"""Stored messages: creation, edits, deletion and nonce de-duplication.

Rules:
- a stored message keeps the full payload Discord would return, plus who
  wrote it and whether it is ephemeral;
- mentions/mention_roles/mention_everyone are derived from the content
  (`<@id>`, `<@&id>`, `@everyone`);
- `enforce_nonce: true` with a nonce: the same author, channel and nonce
  within the nonce window (Discord: "the past few minutes"; a setting, 5 minutes by
  default, measured on the sandbox clock) returns the first message and creates nothing;
- a message's id is fresh unless given (a forum post's starter message has
  its thread's id, as on Discord);
- an edit replaces only the fields present in the body (`content`, `embeds`,
  `components`, `attachments`, `flags`), and sets `edited_timestamp`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord.payloads import JSON, SnowflakeFactory
from bot.sandbox.fake_discord.world import SandboxWorld

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class StoredMessage:
    """A message the sandbox holds, with its payload as Discord would return it."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    payload: JSON
    ephemeral: bool = False
    interaction_id: int | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class NewMessage:
    """Everything needed to create a message besides its body."""

    channel_id: int
    guild_id: int | None
    author_id: int
    author: JSON
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: JSON | None = None
    ephemeral: bool = False
    message_id: int | None = None


class MessageStore:
    """All messages by id, with nonce memory."""

    def __init__(
        self,
        world: SandboxWorld,
        snowflakes: SnowflakeFactory,
        *,
        now: Callable[[], float],
        nonce_window_seconds: float,
    ) -> None:
        self._world = world
        self._snowflakes = snowflakes
        self._now = now
        self.nonce_window_seconds = nonce_window_seconds
        self.file_url = ""
        self._messages: dict[int, StoredMessage] = {}
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}

    def get(self, message_id: int) -> StoredMessage | None:
        """The stored message with this id, if any."""
        return self._messages.get(message_id)

    def all(self) -> list[StoredMessage]:
        """Every stored message in creation order."""
        return list(self._messages.values())

    def delete(self, message_id: int) -> StoredMessage | None:
        """Remove and return a message."""
        return self._messages.pop(message_id, None)

    def nonce_duplicate(self, author_id: int, channel_id: int, body: JSON) -> StoredMessage | None:
        """The earlier message when `enforce_nonce` repeats a recent nonce."""
        nonce = body.get("nonce")
        if not body.get("enforce_nonce") or nonce is None:
            return None
        seen = self._nonces.get((author_id, channel_id, str(nonce)))
        if seen is None or self._now() - seen[1] > self.nonce_window_seconds:
            return None
        return self._messages.get(seen[0])

    def _mentions(self, content: str) -> tuple[list[JSON], list[int], bool]:
        users: list[JSON] = []
        for match in _USER_MENTION.finditer(content):
            user = self._world.user(int(match.group(1)))
            if user is not None and all(u["id"] != str(user.id) for u in users):
                users.append(payloads.user_payload(user))
        roles = sorted({int(m.group(1)) for m in _ROLE_MENTION.finditer(content)})
        return users, roles, "@everyone" in content or "@here" in content

    def _attachments(self, message_id: int, files: list[tuple[str, bytes]]) -> list[JSON]:
        return [
            payloads.attachment_payload(
                message_id + index + 1,
                name,
                data,
                f"{self.file_url}/{message_id}/{index}/{name}",
            )
            for index, (name, data) in enumerate(files)
        ]

    def create(self, new: NewMessage, body: JSON, files: list[tuple[str, bytes]]) -> StoredMessage:
        """Store a new message built from a request body and uploaded files."""
        message_id = new.message_id or self._snowflakes.next()
        content = body.get("content") or ""
        users, roles, everyone = self._mentions(str(content))
        flags = int(body.get("flags") or 0)
        if new.ephemeral:
            flags |= payloads.EPHEMERAL_FLAG
        nonce = body.get("nonce")
        payload = payloads.message_payload(
            message_id=message_id,
            channel_id=new.channel_id,
            guild_id=new.guild_id,
            author=new.author,
            content=str(content),
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            attachments=self._attachments(message_id, files),
            flags=flags,
            nonce=None if nonce is None else str(nonce),
            mentions=users,
            mention_roles=roles,
            mention_everyone=everyone,
            webhook_id=new.webhook_id,
            application_id=new.application_id,
            interaction_metadata=new.interaction_metadata,
            message_type=20 if new.interaction_metadata else 0,
        )
        stored = StoredMessage(
            message_id,
            new.channel_id,
            new.guild_id,
            new.author_id,
            payload,
            ephemeral=new.ephemeral,
            interaction_id=new.interaction_id,
            files=list(files),
        )
        self._messages[message_id] = stored
        if nonce is not None and body.get("enforce_nonce"):
            key = (new.author_id, new.channel_id, str(nonce))
            self._nonces[key] = (message_id, self._now())
        return stored

    def edit(self, stored: StoredMessage, body: JSON, files: list[tuple[str, bytes]]) -> None:
        """Apply an edit body to a stored message."""
        payload = stored.payload
        if "content" in body:
            content = body["content"] or ""
            payload["content"] = str(content)
            users, roles, everyone = self._mentions(str(content))
            payload["mentions"] = users
            payload["mention_roles"] = [str(r) for r in roles]
            payload["mention_everyone"] = everyone
        for key in ("embeds", "components"):
            if key in body:
                payload[key] = list(body[key] or [])
        if files:
            stored.files = list(files)
            payload["attachments"] = self._attachments(stored.id, files)
        elif "attachments" in body:
            keep = {str(a.get("id")) for a in body["attachments"] or []}
            payload["attachments"] = [a for a in payload["attachments"] if a["id"] in keep]
        if "flags" in body and body["flags"] is not None:
            ephemeral = payloads.EPHEMERAL_FLAG if stored.ephemeral else 0
            payload["flags"] = int(body["flags"]) | ephemeral
        payload["edited_timestamp"] = payloads.iso(datetime.now(UTC))
