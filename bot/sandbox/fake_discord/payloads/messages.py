"""Message, attachment, webhook and interaction-callback payload shapes."""

from __future__ import annotations

from bot.sandbox.fake_discord.payloads.base import JSON, iso, snowflake_time, user_payload
from bot.sandbox.fake_discord.world import UserSpec


def webhook_payload(
    *, webhook_id: int, token: str, name: str, guild_id: int, channel_id: int, creator: UserSpec
) -> JSON:
    """An incoming webhook object."""
    return {
        "id": str(webhook_id),
        "type": 1,
        "guild_id": str(guild_id),
        "channel_id": str(channel_id),
        "user": user_payload(creator),
        "name": name,
        "avatar": None,
        "token": token,
        "application_id": None,
    }


def webhook_author_payload(webhook_id: int, name: str) -> JSON:
    """The author object of a message a webhook posted."""
    return {
        "id": str(webhook_id),
        "username": name,
        "global_name": None,
        "discriminator": "0000",
        "avatar": None,
        "bot": True,
    }


def attachment_payload(
    attachment_id: int,
    filename: str,
    data: bytes,
    url: str,
    *,
    content_type: str = "application/octet-stream",
    ephemeral: bool = False,
) -> JSON:
    """An attachment object for an uploaded file (`ephemeral` for command options)."""
    payload: JSON = {
        "id": str(attachment_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }
    if ephemeral:
        payload["ephemeral"] = True
    return payload


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: JSON,
    content: str,
    embeds: list[JSON],
    components: list[JSON],
    attachments: list[JSON],
    flags: int,
    nonce: str | None,
    mentions: list[JSON],
    mention_roles: list[int],
    mention_everyone: bool,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: JSON | None = None,
    message_type: int = 0,
) -> JSON:
    """A message object as REST returns it and MESSAGE_CREATE dispatches it."""
    payload: JSON = {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": mentions,
        "mention_roles": [str(r) for r in mention_roles],
        "mention_channels": [],
        "attachments": attachments,
        "embeds": embeds,
        "components": components,
        "reactions": [],
        "pinned": False,
        "flags": flags,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if nonce is not None:
        payload["nonce"] = nonce
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if application_id is not None:
        payload["application_id"] = str(application_id)
    if interaction_metadata is not None:
        payload["interaction_metadata"] = interaction_metadata
    return payload
