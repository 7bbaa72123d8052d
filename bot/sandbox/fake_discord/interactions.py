"""Interactions the sandbox sent to the bot, and when each one counts as answered.

Rules:
- each interaction has an id and a secret token; callbacks and follow-ups
  find it by id + token;
- Discord's deadlines, on the sandbox clock (`clock.py`) from the moment
  the interaction is dispatched: the first callback must come within 3 s,
  after which the interaction is gone (404 code 10062 "Unknown interaction");
  the token serves follow-ups and original-response edits for 15 minutes,
  after which they are 401 code 50027 "Invalid Webhook Token";
- an interaction can be answered once (a second callback is 400, code 40060
  "Interaction has already been acknowledged");
- it counts as answered on a reply (4), a component update (7), a deferred
  update (6), an autocomplete result (8) or a modal (9); a deferred reply (5)
  counts only once a follow-up or an edit of the original arrives;
- a follow-up that resolves an ephemeral defer is ephemeral;
- an autocomplete interaction (type 4) accepts only an autocomplete result
  (8), and only autocomplete interactions accept one; a callback the
  sandbox rejects with a 400 is kept as the interaction's `rejection`;
- a modal (9) may answer a command or a component click, not a modal
  submission; the latest modal shown to a user is the one they can submit;
- `last_activity` moves on every message so callers can wait for quiet.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field

from bot.sandbox.fake_discord.payloads import JSON

REPLY = 4
DEFERRED_REPLY = 5
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9
ANSWERING_TYPES = {REPLY, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL}
ALREADY_ACKNOWLEDGED = 40060
INITIAL_RESPONSE_SECONDS = 3.0
TOKEN_LIFETIME_SECONDS = 15 * 60.0
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5


class InteractionFailed(Exception):
    """The bot answered an interaction, but Discord would have rejected the answer."""


@dataclass
class InteractionRecord:
    """One interaction: where it happened and how far its answer got."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: JSON = field(default_factory=dict)
    response_type: int | None = None
    deferred_ephemeral: bool = False
    original_message_id: int | None = None
    component_message_id: int | None = None
    focused_type: int | None = None
    response_data: JSON | None = None
    rejection: str | None = None
    dispatched_at: float = 0.0
    received_by: list[tuple[int, int]] = field(default_factory=list)
    expired: bool = False
    acknowledged: asyncio.Event = field(default_factory=asyncio.Event)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    failed: asyncio.Event = field(default_factory=asyncio.Event)
    last_activity: float = field(default_factory=time.monotonic)

    def touch(self) -> None:
        """Note that something happened for this interaction."""
        self.last_activity = time.monotonic()

    def acknowledge(self, response_type: int) -> None:
        """Record the callback type; answer now unless it was a deferred reply."""
        self.response_type = response_type
        self.touch()
        self.acknowledged.set()
        if response_type in ANSWERING_TYPES:
            self.answered.set()

    @property
    def response_deadline(self) -> float:
        """Clock time by which the first callback must arrive."""
        return self.dispatched_at + INITIAL_RESPONSE_SECONDS

    def too_late_to_respond(self, now: float) -> bool:
        """True once the 3-second window for the first callback has passed unused."""
        if self.response_type is None and now > self.response_deadline:
            self.expired = True
        return self.expired or now > self.dispatched_at + TOKEN_LIFETIME_SECONDS

    def token_expired(self, now: float) -> bool:
        """True once the interaction token's 15 minutes are over."""
        return now > self.dispatched_at + TOKEN_LIFETIME_SECONDS

    def reject(self, status: int, body: JSON) -> None:
        """Keep the error the sandbox answered a callback with."""
        errors = body.get("errors")
        detail = f": {json.dumps(errors)}" if errors else ""
        self.rejection = f"{status} {body.get('message')} (code {body.get('code')}){detail}"
        self.touch()
        self.failed.set()

    def resolve_deferred(self) -> None:
        """A follow-up or original edit arrived: the interaction is answered."""
        self.touch()
        if self.response_type is not None:
            self.answered.set()


class InteractionRegistry:
    """Interactions by id, with their tokens."""

    def __init__(self) -> None:
        self._by_id: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}

    def create(
        self,
        interaction_id: int,
        *,
        interaction_type: int,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
    ) -> InteractionRecord:
        """Register a new interaction with a fresh token."""
        token = "sandbox-interaction-" + secrets.token_urlsafe(24)
        record = InteractionRecord(
            interaction_id, token, interaction_type, guild_id, channel_id, user_id
        )
        self._by_id[interaction_id] = record
        self._by_token[token] = record
        return record

    def all(self) -> list[InteractionRecord]:
        """Every interaction, oldest first."""
        return list(self._by_id.values())

    def get(self, interaction_id: int) -> InteractionRecord | None:
        """The interaction with this id, if any."""
        return self._by_id.get(interaction_id)

    def by_id_and_token(self, interaction_id: int, token: str) -> InteractionRecord | None:
        """The interaction, if id and token match."""
        record = self._by_id.get(interaction_id)
        return record if record is not None and record.token == token else None

    def by_token(self, token: str) -> InteractionRecord | None:
        """The interaction owning this token."""
        return self._by_token.get(token)
