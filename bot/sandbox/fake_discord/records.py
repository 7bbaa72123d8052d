"""What the sandbox records about the bot's output, as frozen public dataclasses.

Rules:
- every message the bot produces is recorded once per create or edit, in
  arrival order, with exactly what was sent (embeds, allowed_mentions as given);
- kinds: "post" (channel message or webhook execution), "reply" (interaction
  response message), "followup" (interaction follow-up), "edit" (any edit;
  `edited_message_id` names the edited message);
- a message in a thread has `thread_id` (= `channel_id`), `thread_name` and
  `parent_id` (the forum or text channel the thread is in); a forum post's
  starter message has the thread's id;
- a command's outcome is refused (never sent to the bot), timed out, or the
  messages its interaction produced, plus the modal it opened, if any;
- every REST request the sandbox answered with a 4xx is kept as a `RefusedRequest`
  (what Discord would have refused: a contract test asserts there are none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

MessageKind = Literal["post", "reply", "followup", "edit"]


@dataclass(frozen=True)
class RecordedMessage:
    """One message (or edit) the bot produced, as the sandbox received it."""

    id: int
    kind: MessageKind
    channel_id: int
    guild_id: int | None
    content: str
    embeds: list[dict[str, Any]]
    allowed_mentions: dict[str, Any] | None
    ephemeral: bool
    nonce: str | None
    components: list[dict[str, Any]]
    attachments: list[tuple[str, bytes]]
    interaction_id: int | None
    webhook_id: int | None
    edited_message_id: int | None
    created_at: datetime
    thread_id: int | None = None
    thread_name: str | None = None
    parent_id: int | None = None


@dataclass(frozen=True)
class RecordedThread:
    """A thread the bot created (a forum post, or a thread in a text channel)."""

    id: int
    name: str
    parent_id: int
    parent_name: str
    type: int
    owner_id: int
    starter_message_id: int | None
    applied_tags: tuple[int, ...] = ()


@dataclass(frozen=True)
class CommandOutcome:
    """The result of a typed command or a click."""

    refused: str | None = None
    timed_out: bool = False
    messages: list[RecordedMessage] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    # The `(shard_id, shard_count)` of every gateway session the interaction was sent to.
    received_by: list[tuple[int, int]] = field(default_factory=list)

    @property
    def contents(self) -> list[str]:
        """The content of every message, in order."""
        return [m.content for m in self.messages]


@dataclass(frozen=True)
class RefusedRequest:
    """A REST request the sandbox answered with a 4xx, as Discord would have."""

    method: str
    path: str
    status: int
    code: int | None
    message: str
    body: Any

    def describe(self) -> str:
        """One line: the request and Discord's answer."""
        return f"{self.method} {self.path} -> {self.status} code {self.code}: {self.message}"
