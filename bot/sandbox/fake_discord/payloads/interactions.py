"""Interaction payload shapes: INTERACTION_CREATE bodies and callback responses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.sandbox.fake_discord.payloads.base import JSON, member_payload
from bot.sandbox.fake_discord.payloads.channels import channel_payload
from bot.sandbox.fake_discord.world import ChannelSpec, GuildSpec, SandboxWorld

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
ACTION_ROW, TEXT_INPUT, LABEL = 1, 4, 18
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


def interaction_create_payload(
    world: SandboxWorld,
    guild: GuildSpec,
    channel: ChannelSpec,
    *,
    interaction_id: int,
    interaction_type: int,
    token: str,
    user_id: int,
    data: JSON,
    message: JSON | None = None,
) -> JSON:
    """A complete INTERACTION_CREATE body for a guild interaction."""
    granted = world.channel_permissions(channel.id, user_id)
    channel_body = channel_payload(guild, channel) | {"permissions": str(granted)}
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(world.application_id),
        "type": interaction_type,
        "token": token,
        "version": 1,
        "data": data,
        "guild_id": str(guild.id),
        "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
        "channel_id": str(channel.id),
        "channel": channel_body,
        "member": member_payload(world, guild, user_id, permissions=granted),
        "app_permissions": str(world.channel_permissions(channel.id, world.bot_user_id)),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild.id)},
        "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if message is not None:
        payload["message"] = message
    return payload


def callback_response_payload(
    *,
    interaction_id: int,
    interaction_type: int,
    response_type: int,
    message: JSON | None,
    loading: bool,
    ephemeral: bool,
) -> JSON:
    """The body of POST /interactions/{id}/{token}/callback?with_response=true."""
    interaction: JSON = {
        "id": str(interaction_id),
        "type": interaction_type,
        "response_message_loading": loading,
        "response_message_ephemeral": ephemeral,
    }
    if message is not None:
        interaction["response_message_id"] = message["id"]
    resource: JSON = {"type": response_type}
    if message is not None:
        resource["message"] = message
    return {"interaction": interaction, "resource": resource}


def modal_submit_components(
    components: Sequence[JSON], values: Mapping[str, str | list[str]]
) -> list[JSON]:
    """A MODAL_SUBMIT's `data.components`: the modal's inputs, each with what was entered."""
    submitted: list[JSON] = []
    for component in components:
        kind = component.get("type")
        if kind == ACTION_ROW:
            inner = modal_submit_components(component.get("components") or [], values)
            submitted.append({"type": ACTION_ROW, "components": inner})
        elif kind == LABEL:
            [inner_input] = modal_submit_components([component["component"]], values) or [{}]
            submitted.append({"type": LABEL, "component": inner_input})
        elif kind == TEXT_INPUT:
            custom_id = str(component["custom_id"])
            value = values.get(custom_id, "")
            text = value if isinstance(value, str) else " ".join(value)
            submitted.append({"type": TEXT_INPUT, "custom_id": custom_id, "value": text})
        elif kind in SELECT_TYPES:
            custom_id = str(component["custom_id"])
            chosen = values.get(custom_id, [])
            picked = [chosen] if isinstance(chosen, str) else list(chosen)
            submitted.append({"type": kind, "custom_id": custom_id, "values": picked})
    return submitted
