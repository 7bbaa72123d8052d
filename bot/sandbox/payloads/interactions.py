"""Interaction payload shapes: INTERACTION_CREATE bodies and callback responses."""

from __future__ import annotations

from bot.sandbox.payloads.base import JSON, member_payload
from bot.sandbox.payloads.channels import channel_payload
from bot.sandbox.world import ChannelSpec, GuildSpec, SandboxWorld

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


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
