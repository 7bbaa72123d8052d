"""The sandbox's shared state: world, messages, commands, webhooks, records, gateway.

Rules:
- one `SandboxState` per running sandbox; REST handlers and the `Sandbox`
  facade both work through it;
- `publish` is the single place a bot-produced message becomes a
  `RecordedMessage`: it records, notifies `on_message` callbacks in order,
  wakes waiters, and dispatches MESSAGE_CREATE / MESSAGE_UPDATE to the bot
  for non-ephemeral messages;
- synced command schemas are kept per scope (None = global, else guild id);
  command ids are derived from scope and name, so they are stable;
- a thread's last activity (its creation, then every message in it) is kept on the
  sandbox clock; `archive_due_threads` archives every active thread quiet for its
  `auto_archive_duration` minutes, and a message in an archived thread unarchives it
  (as Discord does for a thread that is not locked);
- with an `OpenApiCheck`, every REST body is also validated against Discord's OpenAPI
  description; each body it refuses is kept in `schema_refusals`;
- `enforce_nonce` de-duplicates within `nonce_window_seconds` of the sandbox clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord.clock import SandboxClock
from bot.sandbox.fake_discord.gateway import (
    GUILDS_PER_SHARD,
    SESSION_START_TOTAL,
    GatewayHub,
)
from bot.sandbox.fake_discord.interactions import InteractionRecord, InteractionRegistry
from bot.sandbox.fake_discord.message_store import MessageStore, StoredMessage
from bot.sandbox.fake_discord.openapi_check import OpenApiCheck, SchemaRefusal
from bot.sandbox.fake_discord.payloads import JSON, SnowflakeFactory
from bot.sandbox.fake_discord.rate_limits import RateLimiter
from bot.sandbox.fake_discord.records import MessageKind, RecordedMessage, RefusedRequest
from bot.sandbox.fake_discord.uploads import UploadStore
from bot.sandbox.fake_discord.world import GuildSpec, SandboxWorld, ThreadSpec

log = logging.getLogger(__name__)

BOT_TOKEN = "sandbox.bot-token.newsdesk"
DEFAULT_NONCE_WINDOW_SECONDS = 300.0
MessageCallback = Callable[[RecordedMessage], None]


@dataclass(frozen=True)
class ShardingOptions:
    """How the sandbox's gateway shards: what `GET /gateway/bot` recommends and allows.

    `recommended_shards` None: one shard per thousand guilds, as Discord recommends.
    """

    recommended_shards: int | None = None
    max_concurrency: int = 1
    session_start_total: int = SESSION_START_TOTAL
    guilds_per_shard: int = GUILDS_PER_SHARD


@dataclass
class WebhookRecord:
    """An incoming webhook the bot created."""

    id: int
    token: str
    name: str
    guild_id: int
    channel_id: int
    payload: JSON


class SandboxState:
    """Everything a running sandbox knows."""

    def __init__(
        self,
        world: SandboxWorld,
        *,
        nonce_window_seconds: float = DEFAULT_NONCE_WINDOW_SECONDS,
        openapi: OpenApiCheck | None = None,
        sharding: ShardingOptions | None = None,
    ) -> None:
        self.world = world
        self.base_url = ""
        self.clock = SandboxClock()
        self.snowflakes = SnowflakeFactory(self.clock.wall_time)
        self.limiter = RateLimiter()
        self.store = MessageStore(
            world, self.snowflakes, now=self.clock.now, nonce_window_seconds=nonce_window_seconds
        )
        self.uploads = UploadStore(self.snowflakes)
        sharding = sharding or ShardingOptions()
        self.gateway = GatewayHub(
            world,
            BOT_TOKEN,
            clock=self.clock,
            recommended_shards=sharding.recommended_shards,
            max_concurrency=sharding.max_concurrency,
            session_start_total=sharding.session_start_total,
            guilds_per_shard=sharding.guilds_per_shard,
        )
        self.openapi = openapi
        self.schema_refusals: list[SchemaRefusal] = []
        self.thread_activity: dict[int, float] = {}
        self.interactions = InteractionRegistry()
        self.open_modals: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.commands_synced = asyncio.Event()
        self.webhooks: dict[int, WebhookRecord] = {}
        self.records: list[RecordedMessage] = []
        self.unknown_routes: list[str] = []
        self.refused_requests: list[RefusedRequest] = []
        self.route_latency: dict[str, float] = {}
        self.requests: Counter[str] = Counter()
        """Every API request answered or refused, by "METHOD /route/{template}"."""
        self._callbacks: list[MessageCallback] = []
        self._changed = asyncio.Event()

    @property
    def token(self) -> str:
        """The bot token the sandbox accepts now (the gateway resets it when the day's
        session starts run out, as Discord does)."""
        return self.gateway.token

    def set_urls(self, *, root: str, api_base: str, gateway_url: str) -> None:
        """Tell the state where it is served (known only once the port is bound)."""
        self.base_url = api_base
        self.store.file_url = f"{api_base}/files"
        self.uploads.base_url = f"{root}/attachments"
        self.gateway.resume_url = gateway_url

    def command_id(self, scope: int | None, name: str) -> int:
        """A stable id for a command name in a scope."""
        digest = hashlib.sha256(f"{scope}:{name}".encode()).digest()
        return 1370000000000000000 + int.from_bytes(digest[:6], "big") % 10**15

    def store_commands(self, scope: int | None, commands: list[JSON]) -> list[JSON]:
        """Replace the schema of a scope; return it with ids filled in."""
        stored: list[JSON] = []
        for command in commands:
            entry = dict(command)
            command_id = self.command_id(scope, str(entry.get("name")))
            entry.setdefault("type", 1)
            entry["id"] = str(command_id)
            entry["application_id"] = str(self.world.application_id)
            entry["version"] = str(command_id)
            required = entry.get("default_member_permissions")
            entry["default_member_permissions"] = None if required is None else str(required)
            entry.setdefault("nsfw", False)
            if scope is not None:
                entry["guild_id"] = str(scope)
            stored.append(entry)
        self.commands[scope] = stored
        self.commands_synced.set()
        return stored

    def touch_thread(self, thread_id: int) -> ThreadSpec | None:
        """Note activity in a thread; return it if this unarchived it (dispatch THREAD_UPDATE)."""
        found = self.world.find_channel(thread_id)
        if found is None or not isinstance(found[1], ThreadSpec):
            return None
        self.thread_activity[thread_id] = self.clock.now()
        guild = found[0]
        if thread_id in guild.archived_thread_ids:
            guild.archived_thread_ids.discard(thread_id)
            guild.archive_timestamps[thread_id] = round(self.clock.wall_time() * 1000)
            return found[1]
        return None

    def next_archive_due(self) -> float | None:
        """Clock time at which the next active thread falls due for archiving."""
        due: float | None = None
        for thread_id, last in self.thread_activity.items():
            found = self.world.live_channel(thread_id)
            if found is None or thread_id in found[0].archived_thread_ids:
                continue
            thread = found[1]
            if isinstance(thread, ThreadSpec):
                at = last + thread.auto_archive_duration * 60
                due = at if due is None else min(due, at)
        return due

    def archive_due_threads(self) -> list[tuple[GuildSpec, ThreadSpec]]:
        """Archive every active thread quiet for its auto-archive duration; return them."""
        now = self.clock.now()
        archived: list[tuple[GuildSpec, ThreadSpec]] = []
        for thread_id, last in list(self.thread_activity.items()):
            found = self.world.live_channel(thread_id)
            if found is None:
                del self.thread_activity[thread_id]
                continue
            guild, thread = found
            if not isinstance(thread, ThreadSpec) or thread_id in guild.archived_thread_ids:
                continue
            if now - last >= thread.auto_archive_duration * 60:
                guild.archived_thread_ids.add(thread_id)
                guild.archive_timestamps[thread_id] = round(self.clock.wall_time() * 1000)
                archived.append((guild, thread))
        return archived

    def delete_webhook(self, webhook_id: int) -> WebhookRecord | None:
        """Forget a webhook: executing it is then 404 Unknown Webhook (10015)."""
        return self.webhooks.pop(webhook_id, None)

    def subscribe(self, callback: MessageCallback) -> Callable[[], None]:
        """Call `callback` for every recorded message; returns an unsubscribe function."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    async def wait_changed(self) -> None:
        """Wait until the next record arrives."""
        await self._changed.wait()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def publish(
        self,
        kind: MessageKind,
        stored: StoredMessage,
        body: JSON,
        *,
        edited: bool = False,
    ) -> RecordedMessage:
        """Record a created or edited message and tell the bot's gateway about it."""
        payload = stored.payload
        allowed = body.get("allowed_mentions")
        nonce = payload.get("nonce")
        webhook_id = payload.get("webhook_id")
        found = self.world.find_channel(stored.channel_id)
        thread = found[1] if found is not None and isinstance(found[1], ThreadSpec) else None
        if thread is not None and not stored.ephemeral:
            unarchived = self.touch_thread(thread.id)
            if unarchived is not None and found is not None:
                await self.gateway.dispatch(
                    "THREAD_UPDATE", payloads.thread_payload(found[0], unarchived)
                )
        record = RecordedMessage(
            id=stored.id,
            kind=kind,
            channel_id=stored.channel_id,
            guild_id=stored.guild_id,
            content=str(payload.get("content") or ""),
            embeds=list(payload.get("embeds") or []),
            allowed_mentions=dict(allowed) if isinstance(allowed, dict) else None,
            ephemeral=stored.ephemeral,
            nonce=None if nonce is None else str(nonce),
            components=list(payload.get("components") or []),
            attachments=list(stored.files),
            interaction_id=stored.interaction_id,
            webhook_id=None if webhook_id is None else int(webhook_id),
            edited_message_id=stored.id if edited else None,
            created_at=datetime.now(UTC),
            thread_id=None if thread is None else thread.id,
            thread_name=None if thread is None else thread.name,
            parent_id=None if thread is None else thread.parent_id,
        )
        self.records.append(record)
        for callback in list(self._callbacks):
            try:
                callback(record)
            except Exception:
                log.exception("sandbox on_message callback failed")
        self._wake()
        if not stored.ephemeral:
            event = "MESSAGE_UPDATE" if edited else "MESSAGE_CREATE"
            await self.gateway.dispatch(event, self.gateway_message(stored))
        return record

    def gateway_message(self, stored: StoredMessage) -> JSON:
        """A message payload for the gateway (with the author's partial member)."""
        payload: dict[str, Any] = dict(stored.payload)
        guild = self.world.guild(stored.guild_id) if stored.guild_id else None
        if guild is not None and stored.author_id in guild.members:
            payload["member"] = payloads.member_payload(
                self.world, guild, stored.author_id, with_user=False
            )
        return payload


STATE: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
