"""REST routes for interaction callbacks, follow-ups and the original response.

Rules:
- `POST /interactions/{id}/{token}/callback` answers once; with
  `with_response=true` (discord.py always sends it) the body is Discord's
  InteractionCallbackResponse, else 204;
- reply (4) creates the original response message ("reply"); deferred reply
  (5) creates a loading original that is not recorded; update (7) edits the
  message the component is on ("edit"); 6 only acknowledges; 8 must
  answer an autocomplete interaction with valid choices; 9 opens a valid
  modal for the user (see `modals.py`);
- a callback rejected with a 400 is kept on the interaction (`reject`);
- a callback after the 3-second window (or for an unknown interaction) is
  404 code 10062; follow-ups and `@original` after 15 minutes are 401 code
  50027 (see `interactions.py`);
- follow-ups (`POST /webhooks/{app_id}/{token}`) need an acknowledged
  interaction (else 404 Unknown Webhook) and are recorded as "followup";
  the one that resolves a deferred reply takes the defer's visibility and
  ignores its own ephemeral flag (as Discord does: it edits the "thinking"
  message); later follow-ups honour the flag;
- `@original` is the response message, or for component interactions
  answered with 6/7, the message the component is on.
"""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.fake_discord import interactions as kinds
from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord.discord_limits import (
    check_autocomplete,
    check_message,
    check_modal,
)
from bot.sandbox.fake_discord.interactions import InteractionRecord
from bot.sandbox.fake_discord.message_store import NewMessage, StoredMessage
from bot.sandbox.fake_discord.payloads import JSON
from bot.sandbox.fake_discord.responses import (
    discord_error,
    invalid_webhook_token,
    json_response,
    no_content,
    query_flag,
    read_message_body,
    snowflake_param,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from bot.sandbox.fake_discord.state import STATE, SandboxState

LOADING_FLAG = 128


def _new_message(state: SandboxState, record: InteractionRecord, *, ephemeral: bool) -> NewMessage:
    bot = state.world.user(state.world.bot_user_id)
    user = state.world.user(record.user_id)
    assert bot is not None and user is not None
    metadata: JSON = {
        "id": str(record.id),
        "type": record.type,
        "user": payloads.user_payload(user),
        "authorizing_integration_owners": {"0": str(record.guild_id)},
    }
    if record.original_message_id is not None:
        metadata["original_response_message_id"] = str(record.original_message_id)
    return NewMessage(
        record.channel_id,
        record.guild_id,
        state.world.bot_user_id,
        payloads.user_payload(bot),
        webhook_id=state.world.application_id,
        application_id=state.world.application_id,
        interaction_id=record.id,
        interaction_metadata=metadata,
        ephemeral=ephemeral,
    )


def _is_ephemeral(body: JSON) -> bool:
    return bool(int(body.get("flags") or 0) & payloads.EPHEMERAL_FLAG)


def _callback_error(
    record: InteractionRecord, response_type: int, data: JSON, *, file_count: int
) -> JSON | None:
    """Discord's 400 body for a callback it would reject, else None."""
    is_autocomplete = record.type == kinds.AUTOCOMPLETE
    if is_autocomplete != (response_type == kinds.AUTOCOMPLETE_RESULT):
        return payloads.error_body(
            50035, f"Interaction response type {response_type} is invalid for this interaction"
        )
    if is_autocomplete:
        return check_autocomplete(data, record.focused_type or 3)
    if response_type == kinds.MODAL:
        if record.type == kinds.MODAL_SUBMIT:
            return payloads.error_body(50035, "A modal submission can't open another modal")
        return check_modal(data)
    if response_type in (kinds.REPLY, kinds.UPDATE_MESSAGE):
        is_edit = response_type == kinds.UPDATE_MESSAGE
        return check_message(data, file_count=file_count, is_edit=is_edit)
    return None


def note_refused_callback(request: web.Request, state: SandboxState, answer: JSON) -> None:
    """A callback refused before its handler (by the schema check) fails its interaction too."""
    record = state.interactions.by_id_and_token(
        snowflake_param(request, "interaction_id") or 0,
        request.match_info.get("interaction_token", ""),
    )
    if record is not None and record.response_type is None:
        record.reject(400, answer)


async def callback(request: web.Request) -> web.Response:
    """POST /interactions/{interaction_id}/{interaction_token}/callback."""
    state = request.app[STATE]
    interaction_id = snowflake_param(request, "interaction_id") or 0
    record = state.interactions.by_id_and_token(
        interaction_id, request.match_info["interaction_token"]
    )
    if record is None or record.too_late_to_respond(state.clock.now()):
        return unknown_interaction()
    if record.response_type is not None:
        return discord_error(
            400, kinds.ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
        )
    envelope, files = await read_message_body(request)
    response_type = int(envelope.get("type") or 0)
    data: JSON = envelope.get("data") or {}
    error = _callback_error(record, response_type, data, file_count=len(files))
    if error is not None:
        record.reject(400, error)
        return json_response(error, status=400)
    message: StoredMessage | None = None
    if response_type == kinds.REPLY:
        message = state.store.create(
            _new_message(state, record, ephemeral=_is_ephemeral(data)), data, files
        )
        record.original_message_id = message.id
        record.acknowledge(response_type)
        await state.publish("reply", message, data)
    elif response_type == kinds.DEFERRED_REPLY:
        record.deferred_ephemeral = _is_ephemeral(data)
        loading = {"content": "", "flags": LOADING_FLAG}
        new = _new_message(state, record, ephemeral=record.deferred_ephemeral)
        message = state.store.create(new, loading, [])
        record.original_message_id = message.id
        record.acknowledge(response_type)
    elif response_type in (kinds.UPDATE_MESSAGE, kinds.DEFERRED_UPDATE):
        message = state.store.get(record.component_message_id or 0)
        if message is None:
            return discord_error(400, 50035, "Invalid Form Body: not a component interaction")
        record.original_message_id = message.id
        if response_type == kinds.UPDATE_MESSAGE:
            state.store.edit(message, data, files)
            await state.publish("edit", message, data, edited=True)
        record.acknowledge(response_type)
    elif response_type in (kinds.AUTOCOMPLETE_RESULT, kinds.MODAL):
        record.response_data = data
        if response_type == kinds.MODAL:
            state.open_modals[record.user_id] = record
        record.acknowledge(response_type)
    else:
        return discord_error(400, 50035, f"Invalid interaction response type {response_type}")
    if not query_flag(request, "with_response"):
        return no_content()
    ephemeral = message.ephemeral if message else False
    body = payloads.callback_response_payload(
        interaction_id=record.id,
        interaction_type=record.type,
        response_type=response_type,
        message=message.payload if message else None,
        loading=response_type == kinds.DEFERRED_REPLY,
        ephemeral=ephemeral,
    )
    return json_response(body)


async def create_followup(request: web.Request, state: SandboxState) -> web.Response:
    """POST /webhooks/{application_id}/{interaction_token}: a follow-up message."""
    record = state.interactions.by_token(request.match_info["webhook_token"])
    if record is None or record.response_type is None:
        return unknown_webhook()
    if record.token_expired(state.clock.now()):
        return invalid_webhook_token()
    body, files = await read_message_body(request)
    error = check_message(body, file_count=len(files), is_edit=False)
    if error is not None:
        return json_response(error, status=400)
    resolving_defer = record.response_type == kinds.DEFERRED_REPLY and not record.answered.is_set()
    ephemeral = record.deferred_ephemeral if resolving_defer else _is_ephemeral(body)
    message = state.store.create(_new_message(state, record, ephemeral=ephemeral), body, files)
    await state.publish("followup", message, body)
    record.resolve_deferred()
    return json_response(message.payload) if query_flag(request, "wait") else no_content()


async def interaction_message(request: web.Request, state: SandboxState) -> web.Response:
    """GET/PATCH/DELETE /webhooks/{application_id}/{token}/messages/{id | @original}."""
    record = state.interactions.by_token(request.match_info["webhook_token"])
    if record is None or record.response_type is None:
        return unknown_webhook()
    if record.token_expired(state.clock.now()):
        return invalid_webhook_token()
    raw_id = request.match_info["message_id"]
    if raw_id == "@original":
        message_id = record.original_message_id
    else:
        message_id = int(raw_id) if raw_id.isdigit() else None
    message = state.store.get(message_id) if message_id else None
    if message is None:
        return unknown_message()
    if request.method == "GET":
        return json_response(message.payload)
    if request.method == "DELETE":
        state.store.delete(message.id)
        record.touch()
        return no_content()
    body, files = await read_message_body(request)
    error = check_message(body, file_count=len(files), is_edit=True)
    if error is not None:
        return json_response(error, status=400)
    message.payload["flags"] = int(message.payload.get("flags") or 0) & ~LOADING_FLAG
    state.store.edit(message, body, files)
    await state.publish("edit", message, body, edited=True)
    record.resolve_deferred()
    return json_response(message.payload)
