"""Acting as a person: typing a slash command or clicking a component.

Rules:
- a command line is parsed, validated against the synced schema (guild scope
  first, then global) and either refused with a sentence - nothing reaches
  the bot - or dispatched as INTERACTION_CREATE type 2;
- autocomplete is the same typed line with one option `focused`, dispatched
  as type 4; it returns the choices of the bot's answer (type 8), raises
  CommandRefused when the client would not ask, `InteractionFailed` when
  the answer was rejected, and TimeoutError when none came;
- a click finds the component by custom_id on the stored message and is
  dispatched as INTERACTION_CREATE type 3 (refused if absent or disabled);
- an outcome completes once the interaction is answered (see
  `interactions.py`) and then nothing new happened for `QUIET_SECONDS`;
  no first response (reply, defer, update) within Discord's 3 seconds, or
  no answer within the timeout, is `timed_out=True` ("The application did
  not respond"), and after those 3 s the interaction is expired for the bot
  too; the messages are those the interaction produced, plus edits of the
  clicked message; `received_by` names the gateway shards the interaction was sent to
  (one session per shard: the one holding the interaction's guild).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bot.sandbox.fake_discord import interactions as kinds
from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord.commands import CommandLineError, parse_command_line
from bot.sandbox.fake_discord.interactions import InteractionRecord
from bot.sandbox.fake_discord.payloads import JSON
from bot.sandbox.fake_discord.records import CommandOutcome
from bot.sandbox.fake_discord.state import SandboxState
from bot.sandbox.fake_discord.uploads import FileSource
from bot.sandbox.fake_discord.validation import (
    CommandRefused,
    Invocation,
    build_command_data,
    find_command,
)
from bot.sandbox.fake_discord.world import ChannelSpec, GuildSpec

QUIET_SECONDS = 0.3
SELECT_TYPES = {3, 5, 6, 7, 8}


def place(
    state: SandboxState, user: str, channel: str | int, guild: str | None
) -> tuple[GuildSpec, ChannelSpec, int]:
    """Resolve who acts where; raise CommandRefused for an unknown user or channel."""
    world = state.world
    guild_spec = world.primary if guild is None else world.guild_named(guild)
    try:
        user_id = world.user_id(user)
    except KeyError:
        raise CommandRefused(f"There is no user called {user} in the sandbox.") from None
    if user_id not in guild_spec.members:
        raise CommandRefused(f"{user} is not a member of {guild_spec.name}.")
    try:
        channel_id = (
            channel
            if isinstance(channel, int)
            else world.channel_id(channel, guild_id=guild_spec.id)
        )
    except KeyError:
        raise CommandRefused(f"There is no channel {channel} in {guild_spec.name}.") from None
    found = world.live_channel(channel_id)
    if found is None or found[0].id != guild_spec.id:
        raise CommandRefused(f"There is no channel {channel} in {guild_spec.name}.")
    if found[1].is_forum:
        raise CommandRefused(f"#{found[1].name} is a forum: type commands in one of its posts.")
    return guild_spec, found[1], user_id


async def _outcome(
    state: SandboxState, record: InteractionRecord, start: int, wait_seconds: float
) -> CommandOutcome:
    timed_out = False
    try:
        async with asyncio.timeout(wait_seconds):
            if not await state.clock.wait([record.acknowledged], record.response_deadline):
                record.expired = True
                raise TimeoutError
            await record.answered.wait()
            # Polling is the point here: wait until the interaction has been quiet long enough.
            while (quiet := time.monotonic() - record.last_activity) < QUIET_SECONDS:  # noqa: ASYNC110
                await asyncio.sleep(QUIET_SECONDS - quiet)
    except TimeoutError:
        timed_out = not record.answered.is_set()
    messages = [
        m
        for m in state.records[start:]
        if m.interaction_id == record.id
        or (
            record.component_message_id is not None
            and m.edited_message_id == record.component_message_id
        )
    ]
    modal = record.response_data if record.response_type == kinds.MODAL else None
    return CommandOutcome(
        refused=None,
        timed_out=timed_out,
        messages=messages,
        modal=modal,
        received_by=list(record.received_by),
    )


@dataclass(frozen=True)
class _Typed:
    guild: GuildSpec
    channel: ChannelSpec
    user_id: int
    data: JSON


def _prepare(
    state: SandboxState,
    line: str,
    *,
    user: str,
    channel: str | int,
    guild: str | None,
    files: Mapping[str, FileSource] | None,
    focused: str | None = None,
) -> _Typed:
    """Parse and validate a typed line; raise CommandLineError or CommandRefused."""
    parsed = parse_command_line(line)
    guild_spec, channel_spec, user_id = place(state, user, channel, guild)
    command_scope: int | None = guild_spec.id
    command = find_command(state.commands.get(guild_spec.id, []), parsed.path[0])
    if command is None:
        command_scope = None
        command = find_command(state.commands.get(None, []), parsed.path[0])
    if command is None:
        raise CommandRefused(f"There is no command /{parsed.path[0]} in {guild_spec.name}.")
    invocation = Invocation(
        state.world, guild_spec, channel_spec, user_id, state.uploads, dict(files or {})
    )
    data = build_command_data(
        parsed, command, invocation, command_guild_id=command_scope, focused=focused
    )
    return _Typed(guild_spec, channel_spec, user_id, data)


async def run_command(
    state: SandboxState,
    line: str,
    *,
    user: str,
    channel: str | int,
    guild: str | None,
    wait_seconds: float,
    files: Mapping[str, FileSource] | None = None,
) -> CommandOutcome:
    """Type a slash command as `user` in `channel` and wait for the bot's answer."""
    try:
        typed = _prepare(state, line, user=user, channel=channel, guild=guild, files=files)
    except (CommandLineError, CommandRefused) as refusal:
        return CommandOutcome(refused=str(refusal))
    record = state.interactions.create(
        state.snowflakes.next(),
        interaction_type=kinds.APPLICATION_COMMAND,
        guild_id=typed.guild.id,
        channel_id=typed.channel.id,
        user_id=typed.user_id,
    )
    return await send_interaction(
        state,
        record,
        data=typed.data,
        guild=typed.guild,
        channel=typed.channel,
        message=None,
        wait_seconds=wait_seconds,
    )


def _focused_type(options: list[JSON]) -> int | None:
    for option in options:
        if option.get("focused"):
            return int(option["type"])
        found = _focused_type(list(option.get("options") or []))
        if found is not None:
            return found
    return None


async def autocomplete(
    state: SandboxState,
    line: str,
    *,
    focused: str,
    user: str,
    channel: str | int,
    guild: str | None,
    wait_seconds: float,
) -> list[JSON]:
    """Type a partial command with `focused` being typed; return the bot's choices."""
    try:
        typed = _prepare(
            state, line, user=user, channel=channel, guild=guild, files=None, focused=focused
        )
    except CommandLineError as error:
        raise CommandRefused(str(error)) from None
    record = state.interactions.create(
        state.snowflakes.next(),
        interaction_type=kinds.AUTOCOMPLETE,
        guild_id=typed.guild.id,
        channel_id=typed.channel.id,
        user_id=typed.user_id,
    )
    record.focused_type = _focused_type(list(typed.data.get("options") or []))
    if not state.gateway.covers(typed.guild.id):
        raise TimeoutError("the bot is not connected")
    await _dispatch(state, record, data=typed.data, guild=typed.guild, channel=typed.channel)
    async with asyncio.timeout(wait_seconds):
        settled = await state.clock.wait([record.answered, record.failed], record.response_deadline)
    if not settled:
        record.expired = True
        raise TimeoutError("the bot did not answer within 3 seconds")
    if not record.answered.is_set():
        raise kinds.InteractionFailed(f"Discord rejected the bot's answer: {record.rejection}")
    return list((record.response_data or {}).get("choices") or [])


async def _dispatch(
    state: SandboxState,
    record: InteractionRecord,
    *,
    data: JSON,
    guild: GuildSpec,
    channel: ChannelSpec,
    message: JSON | None = None,
) -> None:
    record.payload = payloads.interaction_create_payload(
        state.world,
        guild,
        channel,
        interaction_id=record.id,
        interaction_type=record.type,
        token=record.token,
        user_id=record.user_id,
        data=data,
        message=message,
    )
    record.dispatched_at = state.clock.now()
    record.received_by = await state.gateway.dispatch("INTERACTION_CREATE", record.payload)


async def send_interaction(
    state: SandboxState,
    record: InteractionRecord,
    *,
    data: JSON,
    guild: GuildSpec,
    channel: ChannelSpec,
    message: JSON | None,
    wait_seconds: float,
) -> CommandOutcome:
    """Dispatch a registered interaction and wait for its outcome."""
    if not state.gateway.covers(guild.id):
        return CommandOutcome(timed_out=True)
    start = len(state.records)
    await _dispatch(state, record, data=data, guild=guild, channel=channel, message=message)
    return await _outcome(state, record, start, wait_seconds)


def _find_component(components: list[JSON], custom_id: str) -> JSON | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        found = _find_component(list(component.get("components") or []), custom_id)
        if found is not None:
            return found
        accessory = component.get("accessory")
        if isinstance(accessory, dict) and accessory.get("custom_id") == custom_id:
            return accessory
    return None


async def click(
    state: SandboxState,
    message_id: int,
    custom_id: str,
    *,
    values: list[str] | None,
    user: str,
    wait_seconds: float,
) -> CommandOutcome:
    """Click a button or choose select values on a message, as `user`."""
    stored = state.store.get(message_id)
    if stored is None or stored.guild_id is None:
        return CommandOutcome(refused=f"There is no message {message_id} to click on.")
    component = _find_component(list(stored.payload.get("components") or []), custom_id)
    if component is None:
        return CommandOutcome(refused=f"That message has no component '{custom_id}'.")
    if component.get("disabled"):
        return CommandOutcome(refused=f"The component '{custom_id}' is disabled.")
    data: JSON = {"custom_id": custom_id, "component_type": component.get("type")}
    if component.get("type") in SELECT_TYPES:
        chosen = list(values or [])
        options = [o.get("value") for o in component.get("options") or []]
        if component.get("type") == 3 and any(v not in options for v in chosen):
            return CommandOutcome(refused=f"Choose among: {', '.join(map(str, options))}.")
        data["values"] = chosen
    try:
        found = state.world.live_channel(stored.channel_id)
        if found is None:
            raise CommandRefused("That message's channel no longer exists.")
        guild, channel, user_id = place(state, user, stored.channel_id, found[0].name)
    except CommandRefused as refusal:
        return CommandOutcome(refused=str(refusal))
    record = state.interactions.create(
        state.snowflakes.next(),
        interaction_type=kinds.MESSAGE_COMPONENT,
        guild_id=guild.id,
        channel_id=channel.id,
        user_id=user_id,
    )
    record.component_message_id = stored.id
    message = state.gateway_message(stored)
    return await send_interaction(
        state,
        record,
        data=data,
        guild=guild,
        channel=channel,
        message=message,
        wait_seconds=wait_seconds,
    )
