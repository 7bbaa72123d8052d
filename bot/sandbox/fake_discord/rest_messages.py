"""REST routes for channel messages and incoming webhooks.

Rules:
- the bot needs VIEW_CHANNEL and SEND_MESSAGES in a channel to post there
  (SEND_MESSAGES_IN_THREADS in a thread; else 403 code 50013), ATTACH_FILES
  to upload; a forum takes no plain messages (400 code 50008: start a post
  with POST /channels/{id}/threads); without EMBED_LINKS Discord
  silently drops embeds, and so does the sandbox;
- a deleted or unknown channel is 404 code 10003; an unknown message 10008;
- creating, listing or deleting webhooks needs MANAGE_WEBHOOKS (deleting with the
  webhook's token needs nothing else); a webhook name, and an execution's `username`,
  follow Discord's naming rules (see `discord_limits.py`); a deleted webhook is 404
  code 10015, and its deletion is dispatched as WEBHOOKS_UPDATE; a forum's webhook
  executed without `thread_name` or `thread_id` is 400 code 220001;
- a channel's AutoMod keywords (a thread: its parent's) refuse a matching message
  or webhook execution with 400 code 200000;
- every created or edited message goes through the message limits, is
  recorded ("post" / "edit") and dispatched to the bot's gateway;
- `/webhooks/{application_id}/{token}...` are interaction follow-ups and are
  handed to `rest_interactions`.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.sandbox.fake_discord import payloads, rest_interactions
from bot.sandbox.fake_discord import permissions as perms
from bot.sandbox.fake_discord.discord_limits import (
    automod_block,
    check_message,
    check_webhook_create,
    check_webhook_execute,
    check_webhook_into_forum,
)
from bot.sandbox.fake_discord.message_store import NewMessage
from bot.sandbox.fake_discord.responses import (
    discord_error,
    json_response,
    missing_permissions,
    no_content,
    query_flag,
    read_message_body,
    snowflake_param,
    unknown_channel,
    unknown_message,
    unknown_webhook,
)
from bot.sandbox.fake_discord.state import STATE, SandboxState, WebhookRecord

CANNOT_EDIT_OTHERS = 50005
NON_TEXT_CHANNEL = 50008


def _bot_permissions(state: SandboxState, channel_id: int) -> int:
    return state.world.channel_permissions(channel_id, state.world.bot_user_id)


def _bot_author(state: SandboxState) -> payloads.JSON:
    bot = state.world.user(state.world.bot_user_id)
    assert bot is not None
    return payloads.user_payload(bot)


async def create_message(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/messages."""
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    found = state.world.live_channel(channel_id) if channel_id else None
    if channel_id is None or found is None:
        return unknown_channel()
    if found[1].is_forum:
        return discord_error(400, NON_TEXT_CHANNEL, "Cannot send messages in a non-text channel")
    granted = _bot_permissions(state, channel_id)
    body, files = await read_message_body(request)
    send = perms.SEND_MESSAGES_IN_THREADS if found[1].is_thread else perms.SEND_MESSAGES
    needed = perms.VIEW_CHANNEL | send | (perms.ATTACH_FILES if files else 0)
    if not perms.has_all(granted, needed):
        return missing_permissions()
    if not perms.has_all(granted, perms.EMBED_LINKS):
        body["embeds"] = []
    error = check_message(body, file_count=len(files), is_edit=False)
    error = error or automod_block(body, found[0].automod_keywords_for(found[1]))
    if error is not None:
        return json_response(error, status=400)
    bot_id = state.world.bot_user_id
    duplicate = state.store.nonce_duplicate(bot_id, channel_id, body)
    if duplicate is not None:
        return json_response(duplicate.payload)
    new = NewMessage(channel_id, found[0].id, bot_id, _bot_author(state))
    stored = state.store.create(new, body, files)
    await state.publish("post", stored, body)
    return json_response(stored.payload)


def _message_in_channel(request: web.Request) -> tuple[int, int] | web.Response:
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    message_id = snowflake_param(request, "message_id")
    if channel_id is None or state.world.live_channel(channel_id) is None:
        return unknown_channel()
    stored = state.store.get(message_id) if message_id else None
    if stored is None or stored.channel_id != channel_id or stored.ephemeral:
        return unknown_message()
    if not perms.has_all(_bot_permissions(state, channel_id), perms.VIEW_CHANNEL):
        return discord_error(403, 50001, "Missing Access")
    return channel_id, stored.id


async def get_message(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/messages/{message_id}."""
    found = _message_in_channel(request)
    if isinstance(found, web.Response):
        return found
    stored = request.app[STATE].store.get(found[1])
    assert stored is not None
    return json_response(stored.payload)


def _query_snowflake(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    return int(value) if value is not None and value.isdigit() else None


def _query_limit(request: web.Request, default: int, low: int, high: int) -> int | None:
    """The `limit` query parameter, or None when it is outside Discord's range."""
    text = request.query.get("limit", str(default))
    if not text.isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


def _limit_error(low: int, high: int) -> web.Response:
    errors = {
        "limit": {
            "_errors": [
                {
                    "code": "NUMBER_TYPE_MAX",
                    "message": f"int value should be between {low} and {high}.",
                }
            ]
        }
    }
    return discord_error(400, 50035, "Invalid Form Body", errors)


async def list_messages(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/messages: `before`, `after` or `around` a message id, and
    `limit` (1-100, default 50), as Discord pages them (newest first in every case).

    Without VIEW_CHANNEL the bot is refused (403 code 50001); without
    READ_MESSAGE_HISTORY Discord answers an empty list, and so does the sandbox.
    """
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    if channel_id is None or state.world.live_channel(channel_id) is None:
        return unknown_channel()
    limit = _query_limit(request, 50, 1, 100)
    if limit is None:
        return _limit_error(1, 100)
    granted = _bot_permissions(state, channel_id)
    if not perms.has_all(granted, perms.VIEW_CHANNEL):
        return discord_error(403, 50001, "Missing Access")
    if not perms.has_all(granted, perms.READ_MESSAGE_HISTORY):
        return json_response([])
    oldest_first = sorted(
        (m for m in state.store.all() if m.channel_id == channel_id and not m.ephemeral),
        key=lambda m: m.id,
    )
    after = _query_snowflake(request, "after")
    before = _query_snowflake(request, "before")
    around = _query_snowflake(request, "around")
    if around is not None:
        older = [m for m in oldest_first if m.id < around][-(limit // 2) :] if limit > 1 else []
        newer = [m for m in oldest_first if m.id >= around][: limit - len(older)]
        page = older + newer
    elif after is not None:
        page = [m for m in oldest_first if m.id > after][:limit]
    else:
        older = [m for m in oldest_first if before is None or m.id < before]
        page = older[-limit:]
    return json_response([m.payload for m in reversed(page)])


async def edit_message(request: web.Request) -> web.Response:
    """PATCH /channels/{channel_id}/messages/{message_id}."""
    state = request.app[STATE]
    found = _message_in_channel(request)
    if isinstance(found, web.Response):
        return found
    stored = state.store.get(found[1])
    assert stored is not None
    body, files = await read_message_body(request)
    if stored.author_id != state.world.bot_user_id:
        return discord_error(
            403, CANNOT_EDIT_OTHERS, "Cannot edit a message authored by another user"
        )
    error = check_message(body, file_count=len(files), is_edit=True)
    if error is not None:
        return json_response(error, status=400)
    state.store.edit(stored, body, files)
    await state.publish("edit", stored, body, edited=True)
    return json_response(stored.payload)


async def delete_message(request: web.Request) -> web.Response:
    """DELETE /channels/{channel_id}/messages/{message_id}."""
    state = request.app[STATE]
    found = _message_in_channel(request)
    if isinstance(found, web.Response):
        return found
    stored = state.store.delete(found[1])
    assert stored is not None
    event = {"id": str(stored.id), "channel_id": str(stored.channel_id)}
    if stored.guild_id is not None:
        event["guild_id"] = str(stored.guild_id)
    await state.gateway.dispatch("MESSAGE_DELETE", event)
    return no_content()


async def create_webhook(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/webhooks."""
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    found = state.world.live_channel(channel_id) if channel_id else None
    if channel_id is None or found is None:
        return unknown_channel()
    if not perms.has_all(_bot_permissions(state, channel_id), perms.MANAGE_WEBHOOKS):
        return missing_permissions()
    body, _ = await read_message_body(request)
    refused = check_webhook_create(body)
    if refused is not None:
        return json_response(refused, status=400)
    name = str(body["name"])
    bot = state.world.user(state.world.bot_user_id)
    assert bot is not None
    webhook_id = state.snowflakes.next()
    token = secrets.token_urlsafe(48)
    payload = payloads.webhook_payload(
        webhook_id=webhook_id,
        token=token,
        name=name,
        guild_id=found[0].id,
        channel_id=channel_id,
        creator=bot,
    )
    state.webhooks[webhook_id] = WebhookRecord(
        webhook_id, token, name, found[0].id, channel_id, payload
    )
    return json_response(payload)


async def list_channel_webhooks(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/webhooks."""
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    if channel_id is None or state.world.live_channel(channel_id) is None:
        return unknown_channel()
    if not perms.has_all(_bot_permissions(state, channel_id), perms.MANAGE_WEBHOOKS):
        return missing_permissions()
    found = [w.payload for w in state.webhooks.values() if w.channel_id == channel_id]
    return json_response(found)


async def _forget_webhook(state: SandboxState, webhook: WebhookRecord) -> web.Response:
    state.delete_webhook(webhook.id)
    event = {"guild_id": str(webhook.guild_id), "channel_id": str(webhook.channel_id)}
    await state.gateway.dispatch("WEBHOOKS_UPDATE", event)
    return no_content()


async def delete_webhook(request: web.Request) -> web.Response:
    """DELETE /webhooks/{webhook_id} (the bot needs MANAGE_WEBHOOKS in its channel)."""
    state = request.app[STATE]
    webhook = state.webhooks.get(snowflake_param(request, "webhook_id") or 0)
    if webhook is None:
        return unknown_webhook()
    if not perms.has_all(_bot_permissions(state, webhook.channel_id), perms.MANAGE_WEBHOOKS):
        return missing_permissions()
    return await _forget_webhook(state, webhook)


async def delete_webhook_with_token(request: web.Request) -> web.Response:
    """DELETE /webhooks/{webhook_id}/{webhook_token}."""
    webhook = _webhook(request)
    if webhook is None:
        return unknown_webhook()
    return await _forget_webhook(request.app[STATE], webhook)


def _webhook(request: web.Request) -> WebhookRecord | None:
    state = request.app[STATE]
    webhook_id = snowflake_param(request, "webhook_id")
    webhook = state.webhooks.get(webhook_id) if webhook_id else None
    if webhook is None or webhook.token != request.match_info.get("webhook_token"):
        return None
    return webhook


def _is_interaction_webhook(request: web.Request) -> bool:
    state = request.app[STATE]
    return snowflake_param(request, "webhook_id") == state.world.application_id


async def get_webhook_with_token(request: web.Request) -> web.Response:
    """GET /webhooks/{webhook_id}/{webhook_token}."""
    webhook = _webhook(request)
    if webhook is None:
        return unknown_webhook()
    return json_response(webhook.payload)


async def execute_webhook(request: web.Request) -> web.Response:
    """POST /webhooks/{webhook_id}/{webhook_token} (`wait` returns the message)."""
    if _is_interaction_webhook(request):
        return await rest_interactions.create_followup(request, request.app[STATE])
    state = request.app[STATE]
    webhook = _webhook(request)
    if webhook is None:
        return unknown_webhook()
    found = state.world.live_channel(webhook.channel_id)
    if found is None:
        return unknown_webhook()
    body, files = await read_message_body(request)
    error = check_webhook_execute(body, file_count=len(files))
    if found[1].is_forum:
        error = error or check_webhook_into_forum(body, request.query.get("thread_id"))
    error = error or automod_block(body, found[0].automod_keywords_for(found[1]))
    if error is not None:
        return json_response(error, status=400)
    name = str(body.get("username") or webhook.name)
    new = NewMessage(
        webhook.channel_id,
        webhook.guild_id,
        webhook.id,
        payloads.webhook_author_payload(webhook.id, name),
        webhook_id=webhook.id,
    )
    stored = state.store.create(new, body, files)
    await state.publish("post", stored, body)
    return json_response(stored.payload) if query_flag(request, "wait") else no_content()


async def webhook_message(request: web.Request) -> web.Response:
    """GET/PATCH/DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}."""
    state = request.app[STATE]
    if _is_interaction_webhook(request):
        return await rest_interactions.interaction_message(request, state)
    webhook = _webhook(request)
    if webhook is None:
        return unknown_webhook()
    message_id = snowflake_param(request, "message_id")
    stored = state.store.get(message_id) if message_id else None
    if stored is None or stored.author_id != webhook.id:
        return unknown_message()
    if request.method == "GET":
        return json_response(stored.payload)
    if request.method == "DELETE":
        state.store.delete(stored.id)
        return no_content()
    body, files = await read_message_body(request)
    error = check_message(body, file_count=len(files), is_edit=True)
    if error is not None:
        return json_response(error, status=400)
    state.store.edit(stored, body, files)
    await state.publish("edit", stored, body, edited=True)
    return json_response(stored.payload)
