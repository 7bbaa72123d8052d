"""`Sandbox`: a local Discord-compatible server the unmodified discord.py bot logs into.

Rules:
- binds 127.0.0.1 only; `port=0` picks a free port;
- `patch_discord()` points discord.py at the sandbox by setting
  `discord.http.Route.BASE` and `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`,
  and restores both on exit; nothing else in discord.py is touched;
- the sandbox accepts one constant bot token (`bot_token`); ids are stable;
- everything the bot sends is recorded (`messages`, `posts`, `on_message`), and every
  request refused with a 4xx too (`refused_requests`);
  threads it creates (forum posts included) are listed by `threads`;
- a person's actions: `run_command` (files for ATTACHMENT options),
  `autocomplete`, `click`, `submit_modal`; Discord's interaction deadlines
  (3 s, 15 min) run on a clock tests can move with `advance_clock`;
- waits take a timeout and raise `TimeoutError` when it passes;
- `openapi_spec` (a folder holding Discord's `openapi.json`) turns on the schema
  check of every REST body (the tests turn it on; `newsdesk sandbox` only when
  asked); `schema_refusals` lists what it refused;
- the gateway shards as Discord does (see `gateway.py`); `sharding` sets what
  `GET /gateway/bot` recommends and allows (shard count, `max_concurrency`, the day's
  session starts) and how many guilds one shard may hold;
- `nonce_window_seconds` is how long `enforce_nonce` remembers a nonce (Discord:
  "the past few minutes"; 5 minutes by default), on the sandbox clock; new snowflakes
  (and so message and thread times) carry the sandbox clock's time too;
- threads archive themselves after `auto_archive_duration` minutes without a
  message, on the sandbox clock (an archiver task wakes on every clock move);
- what an admin can do: set channel overwrites, forum tags and the REQUIRE_TAG flag,
  AutoMod keywords; delete channels, roles and webhooks (each dispatched to the bot
  as Discord would).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from bot.sandbox.fake_discord import invoking, modals, payloads
from bot.sandbox.fake_discord.discord_limits import REQUIRE_TAG_FLAG
from bot.sandbox.fake_discord.openapi_check import OpenApiCheck, SchemaRefusal
from bot.sandbox.fake_discord.permissions import Overwrite
from bot.sandbox.fake_discord.records import (
    CommandOutcome,
    RecordedMessage,
    RecordedThread,
    RefusedRequest,
)
from bot.sandbox.fake_discord.rest import build_app
from bot.sandbox.fake_discord.state import (
    DEFAULT_NONCE_WINDOW_SECONDS,
    MessageCallback,
    SandboxState,
    ShardingOptions,
    WebhookRecord,
)
from bot.sandbox.fake_discord.world import ChannelSpec, ForumTag, GuildSpec, SandboxWorld

HOST = "127.0.0.1"
_MENTION = re.compile(r"<(#|@&|@!?)(\d+)>")
ARCHIVER_RECHECK_SECONDS = 1.0


class Sandbox:
    """A running local Discord: REST under `api_base`, gateway at `gateway_url`."""

    def __init__(
        self,
        *,
        port: int = 0,
        world: SandboxWorld | None = None,
        openapi_spec: Path | None = None,
        nonce_window_seconds: float = DEFAULT_NONCE_WINDOW_SECONDS,
        sharding: ShardingOptions | None = None,
    ) -> None:
        self.world = world if world is not None else SandboxWorld.default()
        self._sharding = sharding
        self._requested_port = port
        self._port = 0
        self._runner: web.AppRunner | None = None
        self._state: SandboxState | None = None
        self._background: set[asyncio.Task[object]] = set()
        self._archiver: asyncio.Task[None] | None = None
        self._openapi = OpenApiCheck.load(openapi_spec) if openapi_spec is not None else None
        self._nonce_window_seconds = nonce_window_seconds

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start serving on 127.0.0.1."""
        state = SandboxState(
            self.world,
            nonce_window_seconds=self._nonce_window_seconds,
            openapi=self._openapi,
            sharding=self._sharding,
        )
        runner = web.AppRunner(build_app(state), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self._requested_port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = int(sockets[0].getsockname()[1])
        self._runner = runner
        self._state = state
        state.set_urls(
            root=f"http://{HOST}:{self._port}", api_base=self.api_base, gateway_url=self.gateway_url
        )
        self._archiver = asyncio.create_task(self._archive_threads(state), name="sandbox-archiver")

    async def _archive_threads(self, state: SandboxState) -> None:
        """Archive quiet threads as their time comes (real time or an advanced clock)."""
        while True:
            recheck = state.clock.now() + ARCHIVER_RECHECK_SECONDS
            due = state.next_archive_due()
            await state.clock.wait([], recheck if due is None else min(due, recheck))
            for guild, thread in state.archive_due_threads():
                update = payloads.thread_payload(guild, thread)
                await state.gateway.dispatch("THREAD_UPDATE", update)

    async def stop(self) -> None:
        """Close the bot's websocket and stop serving."""
        if self._archiver is not None:
            self._archiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._archiver
            self._archiver = None
        if self._state is not None:
            await self._state.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def state(self) -> SandboxState:
        """The running sandbox's state (for advanced tests)."""
        if self._state is None:
            raise RuntimeError("the sandbox is not running; use `async with Sandbox()`")
        return self._state

    @property
    def port(self) -> int:
        """The TCP port the sandbox listens on."""
        return self._port

    @property
    def api_base(self) -> str:
        """The REST base URL, e.g. http://127.0.0.1:PORT/api/v10."""
        return f"http://{HOST}:{self._port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway URL, e.g. ws://127.0.0.1:PORT/gateway."""
        return f"ws://{HOST}:{self._port}/gateway"

    @property
    def bot_token(self) -> str:
        """The only token the sandbox accepts."""
        return self.state.token

    @property
    def application_id(self) -> int:
        """The bot's application id."""
        return self.world.application_id

    @property
    def bot_user_id(self) -> int:
        """The bot user's id."""
        return self.world.bot_user_id

    @contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here; restore them on exit."""
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    async def wait_for_bot(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (public API)
        """Wait until the bot identified and got READY and its GUILD_CREATEs (every shard of
        its shard count, whichever processes run them)."""
        async with asyncio.timeout(timeout):
            await self.state.gateway.ready.wait()

    async def wait_for_commands(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot synced its command schema (guild or global)."""
        async with asyncio.timeout(timeout):
            await self.state.commands_synced.wait()

    async def run_command(
        self,
        line: str,
        *,
        user: str = "admin",
        channel: str | int = "general",
        guild: str | None = None,
        timeout: float = 15.0,  # noqa: ASYNC109 (public API)
        files: Mapping[str, tuple[str, bytes]] | None = None,
    ) -> CommandOutcome:
        """Type a slash command as `user` in `channel`; return what happened.

        Like Discord, the outcome is `timed_out` after 3 s unless the bot replied
        or deferred by then; a deferred command gets the whole `timeout`.

        An ATTACHMENT option is typed as a local file path (`file:feeds.opml`),
        or given as bytes: `files={"file": ("feeds.opml", b"...")}`.
        """
        return await invoking.run_command(
            self.state,
            line,
            user=user,
            channel=channel,
            guild=guild,
            wait_seconds=timeout,
            files=files,
        )

    async def autocomplete(
        self,
        line: str,
        *,
        focused: str,
        user: str = "admin",
        channel: str | int = "general",
        guild: str | None = None,
        timeout: float = 3.0,  # noqa: ASYNC109 (public API)
    ) -> list[dict[str, Any]]:
        """Type `line` with option `focused` being edited; return the choices the bot offered.

        Raises CommandRefused if Discord would not ask the bot, InteractionFailed if
        the bot's answer was invalid, TimeoutError if it did not answer in time.
        """
        return await invoking.autocomplete(
            self.state,
            line,
            focused=focused,
            user=user,
            channel=channel,
            guild=guild,
            wait_seconds=timeout,
        )

    async def click(
        self,
        message_id: int,
        custom_id: str,
        *,
        values: list[str] | None = None,
        user: str = "admin",
        timeout: float = 15.0,  # noqa: ASYNC109 (public API)
    ) -> CommandOutcome:
        """Click a button or pick select values on a message; return what happened."""
        return await invoking.click(
            self.state, message_id, custom_id, values=values, user=user, wait_seconds=timeout
        )

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, str | list[str]],
        *,
        user: str = "admin",
        timeout: float = 15.0,  # noqa: ASYNC109 (public API)
    ) -> CommandOutcome:
        """Fill in the modal `custom_id` the bot opened for `user` (see CommandOutcome.modal)."""
        return await modals.submit_modal(
            self.state, custom_id, values, user=user, wait_seconds=timeout
        )

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox clock forward at once: Discord's 3 s and 15 min interaction
        deadlines, the nonce window, thread auto-archiving, and the time new snowflakes carry."""
        self.state.clock.advance(seconds)

    @property
    def refused_requests(self) -> list[RefusedRequest]:
        """Every REST request answered with a 4xx (what Discord would have refused), in order."""
        return list(self.state.refused_requests)

    @property
    def messages(self) -> list[RecordedMessage]:
        """Every recorded message, in arrival order."""
        return list(self.state.records)

    @property
    def post_count(self) -> int:
        """How many "post" messages the sandbox has recorded, in every channel."""
        return sum(1 for message in self.state.records if message.kind == "post")

    def posts(self, channel: str | int) -> list[RecordedMessage]:
        """Recorded "post" messages in a channel (name or id) or its threads, or in a thread (id).

        For a forum such as "forum-news" these are the posts' starter messages
        and any later messages in their threads.
        """
        channel_id = channel if isinstance(channel, int) else self.world.channel_id(channel)
        return [
            m
            for m in self.state.records
            if m.kind == "post" and channel_id in (m.channel_id, m.parent_id)
        ]

    def threads(self, channel: str | int) -> list[RecordedThread]:
        """A channel's threads (name or id), archived ones too, oldest first; forum posts too."""
        channel_id = channel if isinstance(channel, int) else self.world.channel_id(channel)
        found = self.world.find_channel(channel_id)
        if found is None:
            raise KeyError(f"no channel with id {channel_id}")
        guild, parent = found
        return [
            RecordedThread(
                id=t.id,
                name=t.name,
                parent_id=parent.id,
                parent_name=parent.name,
                type=t.type,
                owner_id=t.owner_id,
                starter_message_id=t.starter_message_id,
                applied_tags=t.applied_tags,
            )
            for t in guild.live_threads(parent.id)
        ]

    async def wait_for_posts(
        self,
        channel: str | int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[RecordedMessage]:
        """Wait until `channel` has at least `count` posts; return them."""
        async with asyncio.timeout(timeout):
            while len(found := self.posts(channel)) < count:
                await self.state.wait_changed()
        return found

    def on_message(self, callback: MessageCallback) -> Callable[[], None]:
        """Call `callback` for every recorded message; returns an unsubscribe function."""
        return self.state.subscribe(callback)

    def render_mentions(self, text: str) -> str:
        """Replace <#id>, <@&id> and <@id> with #name, @role and @user as a person sees them."""

        def render(match: re.Match[str]) -> str:
            kind, raw_id = match.group(1), int(match.group(2))
            try:
                if kind == "#":
                    return "#" + self.world.channel_name(raw_id)
                if kind == "@&":
                    name = self.world.role_name(raw_id)
                    return name if name == "@everyone" else "@" + name
                return "@" + self.world.user_name(raw_id)
            except KeyError:
                return match.group(0)

        return _MENTION.sub(render, text)

    @property
    def schema_refusals(self) -> list[SchemaRefusal]:
        """Every body the OpenAPI check refused (empty when the check is off)."""
        return list(self.state.schema_refusals)

    @property
    def checks_openapi_schema(self) -> bool:
        """True when every REST body is checked against Discord's OpenAPI description."""
        return self._openapi is not None

    @property
    def rate_limit_hits(self) -> int:
        """How many 429s the sandbox has served."""
        return self.state.limiter.hits

    @property
    def rate_limit_refusals(self) -> list[tuple[float, str]]:
        """(epoch seconds, "global" or the limited route) of the latest 429s served."""
        return list(self.state.limiter.refusals)

    @property
    def requests(self) -> dict[str, int]:
        """How many API requests the sandbox has had, by "METHOD /route/{template}"."""
        return dict(self.state.requests)

    @property
    def unknown_routes(self) -> list[str]:
        """Every "METHOD /path" the bot called that the sandbox does not answer."""
        return list(self.state.unknown_routes)

    def set_latency(self, route: str, seconds: float) -> None:
        """Answer a route ("POST /channels/{channel_id}/webhooks") only after ``seconds``
        (0: at once again), as a busy Discord would."""
        self.state.route_latency[route] = seconds

    def set_channel_overwrite(
        self, channel: str, target_name: str, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a role's or user's overwrite on a channel (prefix role:/user: if ambiguous)."""
        channel_id = self.world.channel_id(channel)
        found = self.world.find_channel(channel_id)
        assert found is not None
        guild, channel_spec = found
        target_id, target_type = self.world.overwrite_target(guild, target_name)
        kept = [
            o
            for o in guild.overwrites.get(channel_id, [])
            if (o.target_id, o.target_type) != (target_id, target_type)
        ]
        kept.append(
            Overwrite(target_id, "role" if target_type == "role" else "member", allow, deny)
        )
        guild.overwrites[channel_id] = kept
        self._dispatch_soon("CHANNEL_UPDATE", payloads.channel_payload(guild, channel_spec))

    def delete_channel(self, name: str) -> None:
        """Delete a channel: later REST calls to it are 404 Unknown Channel (10003)."""
        channel_id = self.world.channel_id(name)
        found = self.world.find_channel(channel_id)
        assert found is not None
        guild, channel_spec = found
        guild.deleted_channel_ids.add(channel_id)
        self._dispatch_soon("CHANNEL_DELETE", payloads.channel_payload(guild, channel_spec))

    def set_forum_tags(
        self, channel: str, tags: list[str] | None = None, *, require_tag: bool | None = None
    ) -> list[ForumTag]:
        """Give a forum new tags (names; ids derive from the forum's) and/or set REQUIRE_TAG."""
        guild, forum = self._channel_spec(channel)
        if not forum.is_forum:
            raise ValueError(f"#{forum.name} is not a forum channel")
        available = forum.available_tags
        if tags is not None:
            available = tuple(ForumTag(forum.id + 20 + n, name) for n, name in enumerate(tags, 1))
        flags = forum.flags
        if require_tag is not None:
            flags = flags | REQUIRE_TAG_FLAG if require_tag else flags & ~REQUIRE_TAG_FLAG
        changed = replace(forum, available_tags=available, flags=flags)
        guild.replace_channel(changed)
        self._dispatch_soon("CHANNEL_UPDATE", payloads.channel_payload(guild, changed))
        return list(available)

    def set_automod_keywords(self, channel: str, keywords: list[str]) -> None:
        """Block (code 200000) every message in a channel (and its threads) holding a keyword."""
        guild, spec = self._channel_spec(channel)
        if keywords:
            guild.automod_keywords[spec.id] = tuple(keywords)
        else:
            guild.automod_keywords.pop(spec.id, None)

    def webhooks(self, channel: str | None = None) -> list[WebhookRecord]:
        """The live webhooks (of one channel, by name), oldest first."""
        channel_id = None if channel is None else self.world.channel_id(channel)
        return [
            w
            for w in self.state.webhooks.values()
            if channel_id is None or w.channel_id == channel_id
        ]

    def delete_webhook(self, webhook_id: int) -> None:
        """Delete a webhook as an admin would: executing it is then 404 Unknown Webhook."""
        webhook = self.state.delete_webhook(webhook_id)
        if webhook is None:
            raise KeyError(f"no webhook with id {webhook_id}")
        event = {"guild_id": str(webhook.guild_id), "channel_id": str(webhook.channel_id)}
        self._dispatch_soon("WEBHOOKS_UPDATE", event)

    def set_role_permissions(self, name: str, permissions: int) -> None:
        """Change a role's permission bits (e.g. give the bot's role Manage Roles), as an
        admin would in the server's settings; GUILD_ROLE_UPDATE is sent."""
        guild = self.world.primary
        role = guild.role(self.world.role_id(name, guild_id=guild.id))
        assert role is not None
        changed = replace(role, permissions=permissions)
        guild.replace_role(changed)
        event = {"guild_id": str(guild.id), "role": payloads.role_payload(changed)}
        self._dispatch_soon("GUILD_ROLE_UPDATE", event)

    def member_roles(self, user: str) -> list[str]:
        """The names of the roles a member of the first server holds (``@everyone`` left out)."""
        guild = self.world.primary
        held = guild.members[self.world.user_id(user)]
        return [role.name for role in guild.roles if role.id in held]

    def delete_role(self, name: str) -> None:
        """Delete a role: members lose it, overwrites for it go; GUILD_ROLE_DELETE is sent."""
        guild = self.world.primary
        role = guild.delete_role(self.world.role_id(name, guild_id=guild.id))
        event = {"guild_id": str(guild.id), "role_id": str(role.id)}
        self._dispatch_soon("GUILD_ROLE_DELETE", event)

    def _channel_spec(self, name: str) -> tuple[GuildSpec, ChannelSpec]:
        found = self.world.find_channel(self.world.channel_id(name))
        if found is None:
            raise KeyError(f"no channel named #{name}")
        return found

    def _dispatch_soon(self, event: str, data: payloads.JSON) -> None:
        task = asyncio.get_running_loop().create_task(self.state.gateway.dispatch(event, data))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drop_gateway(
        self, *, resumable: bool = True, shards: list[tuple[int, int]] | None = None
    ) -> None:
        """Close the bot's websockets (or those of these `(shard_id, shard_count)`s); it
        reconnects and RESUMEs (or re-IDENTIFYs)."""
        await self.state.gateway.drop(resumable=resumable, shards=shards)

    async def add_guild(self, name: str) -> GuildSpec:
        """Add a standard guild to the world and send GUILD_CREATE to the bot."""
        guild = self.world.add_guild(name)
        await self.state.gateway.announce_guild(guild)
        return guild
