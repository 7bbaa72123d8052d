"""Sharding in the sandbox gateway, as Discord's Gateway page describes it: /gateway/bot's
shards and session start limit, IDENTIFY's `shard` checked (4010, 4011), one IDENTIFY per
5 s per rate-limit key (op 9 past it), the day's session starts (token reset past them), and
every guild's events only on its shard `(guild_id >> 22) % shard_count`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot.sandbox.fake_discord import Sandbox, SandboxWorld, ShardingOptions
from bot.sandbox.fake_discord.gateway import IDENTIFY_WINDOW_SECONDS, shard_of
from tests.fixtures.discord_spec import openapi_spec_folder

Frame = dict[str, Any]


def world_of(guilds: int) -> SandboxWorld:
    world = SandboxWorld.default()
    for number in range(1, guilds):
        world.add_guild(f"Desk {number:02d}")
    return world


@contextlib.asynccontextmanager
async def sandbox_with(guilds: int = 1, **sharding: Any) -> AsyncIterator[Sandbox]:
    options = ShardingOptions(**sharding)
    async with Sandbox(
        world=world_of(guilds), sharding=options, openapi_spec=openapi_spec_folder()
    ) as sandbox:
        yield sandbox


class RawSession:
    """A bare gateway websocket: what a client sends and receives, frame by frame."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.closed_with: int | None = None

    async def identify(self, token: str, shard: object = None) -> None:
        data: Frame = {"token": token, "intents": 1, "properties": {}}
        if shard is not None:
            data["shard"] = shard
        await self.ws.send_json({"op": 2, "d": data})

    async def receive(self) -> Frame | None:
        """The next frame, or None once the server closed the socket."""
        message = await self.ws.receive(timeout=5)
        if message.type is not aiohttp.WSMsgType.TEXT:
            self._closed(message)
            return None
        frame: Frame = message.json()
        return frame

    def _closed(self, message: aiohttp.WSMessage) -> None:
        """Keep the close code the server sent (the CLOSE frame's, as the client read it)."""
        if message.type is aiohttp.WSMsgType.CLOSE:
            self.closed_with = int(message.data)

    async def frames(self, count: int) -> list[Frame]:
        """The next ``count`` frames (failing if the socket closes first)."""
        frames: list[Frame] = []
        for _ in range(count):
            frame = await self.receive()
            assert frame is not None, f"closed with {self.closed_with} after {frames}"
            frames.append(frame)
        return frames

    async def frames_until(self, last: Frame) -> list[Frame]:
        """Every frame up to the dispatch whose data is ``last`` (events of one session
        arrive in the order they were dispatched, so nothing sent before it is missed)."""
        frames: list[Frame] = []
        while True:
            frame = await self.receive()
            assert frame is not None, f"closed with {self.closed_with} after {frames}"
            if frame.get("d") == last:
                return frames
            frames.append(frame)


@contextlib.asynccontextmanager
async def raw_session(sandbox: Sandbox) -> AsyncIterator[RawSession]:
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        yield RawSession(ws)


async def gateway_bot(sandbox: Sandbox) -> Frame:
    headers = {"Authorization": f"Bot {sandbox.bot_token}"}
    async with aiohttp.ClientSession() as http, http.get(
        f"{sandbox.api_base}/gateway/bot", headers=headers
    ) as response:
        assert response.status == 200
        body: Frame = await response.json()
        return body


async def test_gateway_bot_answers_shards_and_the_session_start_limit() -> None:
    async with sandbox_with(recommended_shards=3, max_concurrency=2) as sandbox:
        before = await gateway_bot(sandbox)
        assert before["url"] == sandbox.gateway_url
        assert before["shards"] == 3
        assert before["session_start_limit"] == {
            "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 2,
        }
        async with raw_session(sandbox) as session:
            await session.identify(sandbox.bot_token, [1, 3])
            ready = await session.receive()
            assert ready is not None and ready["t"] == "READY"
        after = (await gateway_bot(sandbox))["session_start_limit"]
        assert after["remaining"] == 999
        # The count refills a day after its first use.
        assert 86_390_000 < after["reset_after"] <= 86_400_000


async def test_recommended_shards_follow_the_guild_count() -> None:
    async with sandbox_with(guilds=1) as sandbox:
        assert (await gateway_bot(sandbox))["shards"] == 1
        for number in range(1000):
            sandbox.world.add_guild(f"Crowd {number}")
        assert (await gateway_bot(sandbox))["shards"] == 2


async def test_an_invalid_shard_closes_with_4010() -> None:
    async with sandbox_with() as sandbox:
        for shard in ([3, 3], [-1, 2], [0, 0], [0], ["0", "1"], "0,1", [True, 2]):
            async with raw_session(sandbox) as session:
                await session.identify(sandbox.bot_token, shard)
                assert await session.receive() is None
                assert session.closed_with == 4010, shard
        assert sandbox.state.gateway.identify_count == 0


async def test_a_shard_holding_too_many_guilds_closes_with_4011() -> None:
    async with sandbox_with(guilds=6, guilds_per_shard=3, max_concurrency=16) as sandbox:
        async with raw_session(sandbox) as session:
            await session.identify(sandbox.bot_token)  # no shard: [0, 1], all six guilds
            assert await session.receive() is None
            assert session.closed_with == 4011
        held = {shard: len(sandbox.state.gateway.guilds_of((shard, 3))) for shard in range(3)}
        assert max(held.values()) <= 3, held  # three shards hold them all: accepted
        for shard in range(3):
            async with raw_session(sandbox) as session:
                await session.identify(sandbox.bot_token, [shard, 3])
                ready = await session.receive()
                assert ready is not None and ready["t"] == "READY"


async def test_identifies_faster_than_max_concurrency_get_invalid_session() -> None:
    async with sandbox_with(max_concurrency=2) as sandbox, contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(raw_session(sandbox)) for _ in range(4)]
        first, second, third, fourth = sessions
        await first.identify(sandbox.bot_token, [0, 4])  # bucket 0
        await second.identify(sandbox.bot_token, [1, 4])  # bucket 1: starts at the same time
        for session in (first, second):
            ready = await session.receive()
            assert ready is not None and ready["t"] == "READY"
        await third.identify(sandbox.bot_token, [2, 4])  # bucket 0 again, too soon
        assert await third.receive() == {"op": 9, "d": False}
        assert sandbox.state.gateway.refused_identifies == 1
        assert (await gateway_bot(sandbox))["session_start_limit"]["remaining"] == 998
        sandbox.advance_clock(IDENTIFY_WINDOW_SECONDS)
        await fourth.identify(sandbox.bot_token, [2, 4])
        ready = await fourth.receive()
        assert ready is not None and ready["t"] == "READY"
        assert [record.shard for record in sandbox.state.gateway.identifies] == [
            (0, 4), (1, 4), (2, 4),
        ]


async def test_identifying_past_the_days_session_starts_resets_the_token() -> None:
    async with sandbox_with(session_start_total=2, max_concurrency=16) as sandbox:
        old_token = sandbox.bot_token
        async with raw_session(sandbox) as first, raw_session(sandbox) as second:
            await first.identify(old_token, [0, 3])
            await second.identify(old_token, [1, 3])
            for session in (first, second):
                ready = await session.receive()
                assert ready is not None and ready["t"] == "READY"
            assert (await gateway_bot(sandbox))["session_start_limit"]["remaining"] == 0
            async with raw_session(sandbox) as third:
                await third.identify(old_token, [2, 3])
                assert await third.receive() is None
                assert third.closed_with == 4004
            # Every session ended, and the old token no longer works anywhere.
            assert await first.receive() is None
            assert first.closed_with == 4004
        assert sandbox.bot_token != old_token
        headers = {"Authorization": f"Bot {old_token}"}
        async with aiohttp.ClientSession() as http, http.get(
            f"{sandbox.api_base}/gateway/bot", headers=headers
        ) as response:
            assert response.status == 401


async def test_each_shard_gets_only_its_guilds_and_their_events() -> None:
    async with sandbox_with(guilds=12, max_concurrency=3) as sandbox:
        world = sandbox.world
        expected = {
            shard: {str(g.id) for g in world.guilds if (g.id >> 22) % 3 == shard}
            for shard in range(3)
        }
        assert all(expected.values()), "the sandbox's guild ids spread over the shards"
        async with contextlib.AsyncExitStack() as stack:
            sessions = [await stack.enter_async_context(raw_session(sandbox)) for _ in range(3)]
            for shard, session in enumerate(sessions):
                await session.identify(sandbox.bot_token, [shard, 3])
            for shard, session in enumerate(sessions):
                ready, *created = await session.frames(1 + len(expected[shard]))
                assert ready["t"] == "READY" and ready["d"]["shard"] == [shard, 3]
                assert {g["id"] for g in ready["d"]["guilds"]} == expected[shard]
                assert {f["t"] for f in created} == {"GUILD_CREATE"}
                assert {f["d"]["id"] for f in created} == expected[shard]
            # A guild event reaches its shard alone; an event without a guild, shard 0.
            for guild in world.guilds:
                event = {"guild_id": str(guild.id), "channel_id": str(guild.id + 1)}
                reached = await sandbox.state.gateway.dispatch("WEBHOOKS_UPDATE", event)
                assert reached == [(shard_of(guild.id, 3), 3)]
            assert await sandbox.state.gateway.dispatch("USER_UPDATE", {"id": "1"}) == [(0, 3)]
            markers = {
                shard: {"guild_id": next(iter(expected[shard])), "channel_id": "marker"}
                for shard in range(3)
            }
            for marker in markers.values():
                await sandbox.state.gateway.dispatch("WEBHOOKS_UPDATE", marker)
            for shard, session in enumerate(sessions):
                frames = await session.frames_until(markers[shard])
                updated = {f["d"]["guild_id"] for f in frames if f["t"] == "WEBHOOKS_UPDATE"}
                assert updated == expected[shard]
                users = [f for f in frames if f["t"] == "USER_UPDATE"]
                assert len(users) == (1 if shard == 0 else 0)


class ShardedPingBot(commands.AutoShardedBot):
    """discord.py's own sharded client with one command that names its shard."""

    def __init__(self, shard_count: int) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(),
            shard_count=shard_count, guild_ready_timeout=0.1,
        )

        @self.tree.command(name="ping", description="Reply with the shard")
        async def ping(interaction: discord.Interaction[Any]) -> None:
            assert interaction.guild is not None
            await interaction.response.send_message(f"pong from shard {interaction.guild.shard_id}")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No wait: the sandbox lets this test's shards start at once (max_concurrency)."""


async def test_discord_py_sharded_client_answers_every_guild_from_its_shard() -> None:
    async with sandbox_with(guilds=9, max_concurrency=3) as sandbox:
        bot = ShardedPingBot(shard_count=3)
        with sandbox.patch_discord():
            runner = asyncio.create_task(bot.start(sandbox.bot_token))
            try:
                await sandbox.wait_for_bot(timeout=10)
                async with asyncio.timeout(10):
                    await bot.wait_until_ready()
                assert sandbox.state.gateway.connected_shards() == [(0, 3), (1, 3), (2, 3)]
                assert len(bot.guilds) == 9
                await bot.tree.sync()
                for guild in sandbox.world.guilds:
                    outcome = await sandbox.run_command("/ping", guild=guild.name, timeout=5)
                    shard = shard_of(guild.id, 3)
                    assert outcome.received_by == [(shard, 3)]
                    assert outcome.contents == [f"pong from shard {shard}"]
            finally:
                await bot.close()
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
