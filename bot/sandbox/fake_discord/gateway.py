"""The sandbox gateway: one websocket session for the bot, over plain JSON text frames.

Rules:
- on connect the server sends HELLO (op 10); discord.py's `compress=zlib-stream`
  query is ignored: it decompresses only binary frames, text frames are JSON;
- IDENTIFY (op 2) with the sandbox token -> READY (guilds unavailable,
  `resume_gateway_url` pointing back here), then one GUILD_CREATE per guild;
  a wrong token closes the socket with 4004 (authentication failed);
- HEARTBEAT (op 1) -> HEARTBEAT_ACK (op 11); PRESENCE (3) and VOICE (4) are
  accepted silently; REQUEST_GUILD_MEMBERS (op 8) -> one GUILD_MEMBERS_CHUNK;
- every dispatch gets the next sequence number and is kept in the session's
  history; RESUME (op 6) replays everything after the client's `seq`, then
  sends RESUMED; an unknown session gets INVALID_SESSION (op 9, d=false);
- dispatches made while the bot is disconnected are only kept for replay;
- `ready` is set while the bot holds an identified or resumed socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord.payloads import JSON
from bot.sandbox.fake_discord.world import GuildSpec, SandboxWorld

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250
AUTHENTICATION_FAILED = 4004
RESUMABLE_CLOSE = 4000
HISTORY_LIMIT = 5000


@dataclass
class GatewaySession:
    """One identified session: its sequence, replay history and current socket."""

    session_id: str
    sequence: int = 0
    history: list[tuple[int, str, JSON]] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class GatewayHub:
    """Accepts the bot's websocket and dispatches events to it."""

    def __init__(self, world: SandboxWorld, token: str) -> None:
        self.world = world
        self.token = token
        self.resume_url = ""
        self.session: GatewaySession | None = None
        self.ready = asyncio.Event()
        self.identify_count = 0
        self.resume_count = 0
        self._sockets: set[web.WebSocketResponse] = set()

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
            if self.session is not None and self.session.socket is socket:
                self.session.socket = None
                self.ready.clear()
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
        self.identify_count += 1
        self.session = GatewaySession(secrets.token_hex(16), socket=socket)
        ready = payloads.ready_payload(self.world, self.session.session_id, self.resume_url)
        await self.dispatch("READY", ready)
        for guild in self.world.guilds:
            await self.dispatch("GUILD_CREATE", payloads.guild_create_payload(self.world, guild))
        self.ready.set()

    async def _resume(self, socket: web.WebSocketResponse, data: JSON) -> None:
        session = self.session
        if (
            session is None
            or data.get("session_id") != session.session_id
            or data.get("token") != self.token
        ):
            await self._send(socket, {"op": 9, "d": False})
            return
        self.resume_count += 1
        after = int(data.get("seq") or 0)
        async with session.lock:
            session.socket = socket
            for sequence, event, body in session.history:
                if sequence > after:
                    await self._send(socket, {"op": 0, "s": sequence, "t": event, "d": body})
        await self.dispatch("RESUMED", {"_trace": ["newsdesk-sandbox"]})
        self.ready.set()

    async def _request_members(self, socket: web.WebSocketResponse, data: JSON) -> None:
        guild = self.world.guild(int(data.get("guild_id") or 0))
        if guild is None:
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
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send an event to the bot (or keep it for replay if it is disconnected)."""
        session = self.session
        if session is None:
            return
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
        """Tell the connected bot it joined a guild (GUILD_CREATE without `unavailable`)."""
        payload = payloads.guild_create_payload(self.world, guild)
        del payload["unavailable"]
        await self.dispatch("GUILD_CREATE", payload)

    async def drop(self, *, resumable: bool) -> None:
        """Close the bot's socket; unless resumable, forget the session first."""
        session = self.session
        if not resumable:
            self.session = None
            self.ready.clear()
        if session is not None and session.socket is not None:
            socket, session.socket = session.socket, None
            self.ready.clear()
            await socket.close(code=RESUMABLE_CLOSE, message=b"Sandbox dropped the connection.")

    async def close_all(self) -> None:
        """Close every open socket (server shutdown)."""
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"Sandbox shutting down.")
