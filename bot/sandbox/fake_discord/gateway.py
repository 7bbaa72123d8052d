"""The sandbox gateway: the bot's websocket sessions, sharded as Discord shards them.

Rules (Discord's Gateway page, "Identifying", "Rate Limiting" and "Sharding"):
- on connect the server sends HELLO (op 10); discord.py's `compress=zlib-stream`
  query is ignored: it decompresses only binary frames, text frames are JSON;
- IDENTIFY (op 2) is checked in this order:
  - a wrong token closes the socket with 4004 (authentication failed);
  - `shard` (absent: `[0, 1]`) must be two integers with `0 <= id < count`, else
    4010 (invalid shard);
  - a session that would hold more than `guilds_per_shard` guilds (Discord: 2,500) closes
    with 4011 (sharding required);
  - each rate-limit key (`shard_id % max_concurrency`) takes one IDENTIFY per
    `IDENTIFY_WINDOW_SECONDS` on the sandbox clock; a faster one is answered INVALID_SESSION
    (op 9, d=false) and starts nothing (`refused_identifies` counts them);
  - every session started uses one of the day's `session_start_total`; an IDENTIFY when none
    remain ends every session (closed with 4004) and resets the token, as Discord does (a
    new token must be used); the count refills `SESSION_START_WINDOW_SECONDS` after its
    first use;
  - then READY (guilds unavailable, `shard` echoed, `resume_gateway_url` pointing back here)
    lists only the session's guilds, those with `(guild_id >> 22) % count == id`, and one
    GUILD_CREATE per such guild follows; an IDENTIFY of a shard replaces that shard's
    previous session;
- every event about a guild goes to each session whose shard holds the guild; events with no
  guild go to shard 0's sessions (Discord: "Gateway events that do not contain a guild_id
  will only be sent to the first shard"); `dispatch` returns the shards it reached;
- HEARTBEAT (op 1) -> HEARTBEAT_ACK (op 11); PRESENCE (3) and VOICE (4) are
  accepted silently; REQUEST_GUILD_MEMBERS (op 8) -> one GUILD_MEMBERS_CHUNK, on the
  socket that asked;
- every dispatch gets its session's next sequence number and is kept in the session's
  history; RESUME (op 6) replays everything after the client's `seq`, then sends RESUMED;
  an unknown session gets INVALID_SESSION (op 9, d=false);
- dispatches made while a session is disconnected are only kept for replay;
- `ready` is set while, for some shard count, every shard holds an identified or resumed
  socket (one process or many).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord.clock import SandboxClock
from bot.sandbox.fake_discord.payloads import JSON
from bot.sandbox.fake_discord.world import GuildSpec, SandboxWorld

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250
AUTHENTICATION_FAILED = 4004
INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011
RESUMABLE_CLOSE = 4000
HISTORY_LIMIT = 5000

# Discord: "Each shard can only support a maximum of 2500 guilds".
GUILDS_PER_SHARD = 2500
# Discord recommends about one shard per thousand guilds in `GET /gateway/bot`.
GUILDS_PER_RECOMMENDED_SHARD = 1000
# The session start limit: IDENTIFYs per rate-limit key per window, and per day.
IDENTIFY_WINDOW_SECONDS = 5.0
SESSION_START_TOTAL = 1000
SESSION_START_WINDOW_SECONDS = 24 * 3600.0

Shard = tuple[int, int]
"""A session's `[shard_id, shard_count]`."""


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events (Discord's sharding formula)."""
    return (guild_id >> 22) % shard_count


@dataclass
class GatewaySession:
    """One identified session: its shard, sequence, replay history and current socket."""

    session_id: str
    shard: Shard = (0, 1)
    sequence: int = 0
    history: list[tuple[int, str, JSON]] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def receives(self, guild_id: int | None) -> bool:
        """Whether events about this guild (None: about none) go to this session."""
        shard_id, shard_count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, shard_count) == shard_id


@dataclass
class SessionStartLimit:
    """What `GET /gateway/bot` says of session starts, and what the gateway enforces."""

    total: int = SESSION_START_TOTAL
    max_concurrency: int = 1
    used: int = 0
    window_ends_at: float | None = None
    last_identify: dict[int, float] = field(default_factory=dict)

    def remaining(self, now: float) -> int:
        """Session starts left in the current window."""
        self._roll(now)
        return self.total - self.used

    def reset_after_ms(self, now: float) -> int:
        """Milliseconds until the count refills (0 when no window is running)."""
        self._roll(now)
        if self.window_ends_at is None:
            return 0
        return max(0, math.ceil((self.window_ends_at - now) * 1000))

    def too_soon(self, shard_id: int, now: float) -> bool:
        """Whether this shard's rate-limit key identified less than the window ago."""
        last = self.last_identify.get(shard_id % self.max_concurrency)
        return last is not None and now - last < IDENTIFY_WINDOW_SECONDS

    def start(self, shard_id: int, now: float) -> None:
        """Count a session start for this shard's key."""
        self._roll(now)
        if self.window_ends_at is None:
            self.window_ends_at = now + SESSION_START_WINDOW_SECONDS
        self.used += 1
        self.last_identify[shard_id % self.max_concurrency] = now

    def _roll(self, now: float) -> None:
        if self.window_ends_at is not None and now >= self.window_ends_at:
            self.window_ends_at = None
            self.used = 0


@dataclass(frozen=True)
class IdentifyRecord:
    """One session start the gateway accepted: which shard, and when (sandbox clock)."""

    shard: Shard
    at: float


class GatewayHub:
    """Accepts the bot's websockets (one per shard) and dispatches events to them."""

    def __init__(
        self,
        world: SandboxWorld,
        token: str,
        *,
        clock: SandboxClock,
        recommended_shards: int | None = None,
        max_concurrency: int = 1,
        session_start_total: int = SESSION_START_TOTAL,
        guilds_per_shard: int = GUILDS_PER_SHARD,
    ) -> None:
        if max_concurrency < 1 or session_start_total < 0 or guilds_per_shard < 1:
            raise ValueError("max_concurrency and guilds_per_shard must be at least 1")
        self.world = world
        self.token = token
        self.clock = clock
        self.resume_url = ""
        self.sessions: dict[str, GatewaySession] = {}
        self.ready = asyncio.Event()
        self.limit = SessionStartLimit(session_start_total, max_concurrency)
        self.guilds_per_shard = guilds_per_shard
        self._recommended_shards = recommended_shards
        self.identifies: list[IdentifyRecord] = []
        self.refused_identifies = 0
        self.token_resets = 0
        self.resume_count = 0
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def identify_count(self) -> int:
        """How many sessions were started (refused IDENTIFYs not counted)."""
        return len(self.identifies)

    @property
    def recommended_shards(self) -> int:
        """The shard count `GET /gateway/bot` recommends."""
        if self._recommended_shards is not None:
            return self._recommended_shards
        return max(1, math.ceil(len(self.world.guilds) / GUILDS_PER_RECOMMENDED_SHARD))

    def gateway_bot_payload(self) -> JSON:
        """The body of `GET /gateway/bot`."""
        now = self.clock.now()
        return {
            "url": self.resume_url,
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": self.limit.total,
                "remaining": self.limit.remaining(now),
                "reset_after": self.limit.reset_after_ms(now),
                "max_concurrency": self.limit.max_concurrency,
            },
        }

    def connected_shards(self) -> list[Shard]:
        """The shards that hold a socket now, sorted."""
        return sorted(s.shard for s in self.sessions.values() if s.socket is not None)

    def covers(self, guild_id: int | None) -> bool:
        """Whether some session (connected or waiting to resume) receives this guild's events."""
        return any(session.receives(guild_id) for session in self.sessions.values())

    def guilds_of(self, shard: Shard) -> list[GuildSpec]:
        """The guilds a session of this shard holds."""
        shard_id, shard_count = shard
        return [g for g in self.world.guilds if shard_of(g.id, shard_count) == shard_id]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The aiohttp handler for /gateway."""
        socket = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await socket.prepare(request)
        self._sockets.add(socket)
        try:
            await self._send(socket, {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    continue
                await self._on_frame(socket, json.loads(message.data))
        except ConnectionResetError:
            log.debug("gateway socket reset")
        finally:
            self._sockets.discard(socket)
            for session in self.sessions.values():
                if session.socket is socket:
                    session.socket = None
            self._update_ready()
        return socket

    async def _send(self, socket: web.WebSocketResponse, frame: JSON) -> None:
        if not socket.closed:
            await socket.send_str(json.dumps(frame))

    async def _on_frame(self, socket: web.WebSocketResponse, frame: JSON) -> None:
        op = frame.get("op")
        data: Any = frame.get("d")
        if op == 1:
            await self._send(socket, {"op": 11, "d": None})
        elif op == 2:
            await self._identify(socket, data)
        elif op == 6:
            await self._resume(socket, data)
        elif op == 8:
            await self._request_members(socket, data)
        elif op not in (3, 4):
            log.info("gateway: ignoring op %s", op)

    async def _identify(self, socket: web.WebSocketResponse, data: JSON) -> None:
        if data.get("token") != self.token:
            await socket.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        shard = _read_shard(data.get("shard", [0, 1]))
        if shard is None:
            await socket.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        guilds = self.guilds_of(shard)
        if len(guilds) > self.guilds_per_shard:
            await socket.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return
        now = self.clock.now()
        if self.limit.too_soon(shard[0], now):
            self.refused_identifies += 1
            log.info("gateway: IDENTIFY of shard %s too soon for its bucket", shard)
            await self._send(socket, {"op": 9, "d": False})
            return
        if self.limit.remaining(now) <= 0:
            await self._reset_token()
            return
        self.limit.start(shard[0], now)
        self.identifies.append(IdentifyRecord(shard, now))
        for old in [s for s in self.sessions.values() if s.shard == shard]:
            del self.sessions[old.session_id]
        session = GatewaySession(secrets.token_hex(16), shard, socket=socket)
        self.sessions[session.session_id] = session
        ready = payloads.ready_payload(
            self.world, session.session_id, self.resume_url, guilds=guilds, shard=shard
        )
        await self._dispatch_to(session, "READY", ready)
        for guild in guilds:
            await self._dispatch_to(
                session, "GUILD_CREATE", payloads.guild_create_payload(self.world, guild)
            )
        self._update_ready()

    async def _reset_token(self) -> None:
        """The day's session starts are spent: end every session and reset the token."""
        log.warning("gateway: session start limit exhausted; token reset")
        self.token = f"sandbox.bot-token.reset-{secrets.token_hex(4)}"
        self.token_resets += 1
        self.sessions.clear()
        self.ready.clear()
        for socket in list(self._sockets):
            await socket.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")

    async def _resume(self, socket: web.WebSocketResponse, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            await self._send(socket, {"op": 9, "d": False})
            return
        self.resume_count += 1
        after = int(data.get("seq") or 0)
        async with session.lock:
            session.socket = socket
            for sequence, event, body in session.history:
                if sequence > after:
                    await self._send(socket, {"op": 0, "s": sequence, "t": event, "d": body})
        await self._dispatch_to(session, "RESUMED", {"_trace": ["newsdesk-sandbox"]})
        self._update_ready()

    async def _request_members(self, socket: web.WebSocketResponse, data: JSON) -> None:
        guild = self.world.guild(int(data.get("guild_id") or 0))
        session = next((s for s in self.sessions.values() if s.socket is socket), None)
        if guild is None or session is None:
            return
        members = [payloads.member_payload(self.world, guild, uid) for uid in guild.members]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: JSON) -> list[Shard]:
        """Send an event to the sessions of the shard its guild belongs to (kept for replay
        while one is disconnected); return the shards of the sessions it reached."""
        guild_id = _guild_of(event, data)
        reached: list[Shard] = []
        for session in list(self.sessions.values()):
            if session.receives(guild_id):
                await self._dispatch_to(session, event, data)
                reached.append(session.shard)
        return reached

    async def _dispatch_to(self, session: GatewaySession, event: str, data: JSON) -> None:
        async with session.lock:
            session.sequence += 1
            session.history.append((session.sequence, event, data))
            del session.history[:-HISTORY_LIMIT]
            frame = {"op": 0, "s": session.sequence, "t": event, "d": data}
            if session.socket is not None:
                try:
                    await self._send(session.socket, frame)
                except ConnectionResetError:
                    session.socket = None

    async def announce_guild(self, guild: GuildSpec) -> None:
        """Tell the bot it joined a guild (GUILD_CREATE without `unavailable`), on its shard."""
        payload = payloads.guild_create_payload(self.world, guild)
        del payload["unavailable"]
        await self.dispatch("GUILD_CREATE", payload)

    async def drop(self, *, resumable: bool, shards: Iterable[Shard] | None = None) -> None:
        """Close the sockets of every session (or of these shards'); unless resumable, forget
        those sessions first."""
        chosen = None if shards is None else set(shards)
        for session in list(self.sessions.values()):
            if chosen is not None and session.shard not in chosen:
                continue
            if not resumable:
                del self.sessions[session.session_id]
            if session.socket is not None:
                socket, session.socket = session.socket, None
                await socket.close(code=RESUMABLE_CLOSE, message=b"Sandbox dropped the connection.")
        self._update_ready()

    async def close_all(self) -> None:
        """Close every open socket (server shutdown)."""
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"Sandbox shutting down.")

    def _update_ready(self) -> None:
        connected: dict[int, set[int]] = {}
        for shard_id, shard_count in self.connected_shards():
            connected.setdefault(shard_count, set()).add(shard_id)
        if any(len(ids) == count for count, ids in connected.items()):
            self.ready.set()
        else:
            self.ready.clear()


def _read_shard(value: object) -> Shard | None:
    """Read IDENTIFY's `shard`; None when Discord would refuse it as an invalid shard."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    shard_id, shard_count = value
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        return None
    if shard_count < 1 or not 0 <= shard_id < shard_count:
        return None
    return shard_id, shard_count


def _guild_of(event: str, data: JSON) -> int | None:
    """The guild an event is about (GUILD_CREATE/UPDATE/DELETE carry it as `id`)."""
    raw = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else None
    raw = raw if raw is not None else data.get("guild_id")
    return None if raw is None else int(raw)
