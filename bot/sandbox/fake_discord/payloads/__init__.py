"""Every JSON payload shape the sandbox sends, in one package.

Rules:
- shapes follow Discord API v10 as discord.py 2.7 parses them (see its
  `types/*.py`); fields discord.py indexes with `data[...]` are always present;
- ids go out as strings, permissions as decimal strings, times as ISO 8601 UTC;
- functions here are pure: they read the world and return fresh dicts;
- no other sandbox module builds a payload dict from scratch: they call these
  functions (the package is split by topic only to keep modules short).
"""

from bot.sandbox.fake_discord.payloads.base import (
    DISCORD_EPOCH_MS,
    EPHEMERAL_FLAG,
    JOINED_AT,
    JSON,
    SnowflakeFactory,
    error_body,
    iso,
    member_payload,
    role_payload,
    snowflake_time,
    user_payload,
)
from bot.sandbox.fake_discord.payloads.channels import (
    active_threads_payload,
    channel_payload,
    forum_post_payload,
    forum_tag_payload,
    overwrites_payload,
    resolved_channel_payload,
    thread_member_payload,
    thread_payload,
)
from bot.sandbox.fake_discord.payloads.guilds import (
    application_payload,
    guild_create_payload,
    guild_payload,
    ready_payload,
)
from bot.sandbox.fake_discord.payloads.interactions import (
    callback_response_payload,
    interaction_create_payload,
    modal_submit_components,
)
from bot.sandbox.fake_discord.payloads.messages import (
    attachment_payload,
    message_payload,
    webhook_author_payload,
    webhook_payload,
)

__all__ = [
    "DISCORD_EPOCH_MS",
    "EPHEMERAL_FLAG",
    "JOINED_AT",
    "JSON",
    "SnowflakeFactory",
    "active_threads_payload",
    "application_payload",
    "attachment_payload",
    "callback_response_payload",
    "channel_payload",
    "error_body",
    "forum_post_payload",
    "forum_tag_payload",
    "guild_create_payload",
    "guild_payload",
    "interaction_create_payload",
    "iso",
    "member_payload",
    "message_payload",
    "modal_submit_components",
    "overwrites_payload",
    "ready_payload",
    "resolved_channel_payload",
    "role_payload",
    "snowflake_time",
    "thread_member_payload",
    "thread_payload",
    "user_payload",
    "webhook_author_payload",
    "webhook_payload",
]
