"""REST routes for threads: forum posts, threads in text channels, active threads.

Rules:
- `POST /channels/{id}/threads` on a forum (type 15/16) starts a post: a
  public thread (type 11) with a starter message from the body's `message`
  (JSON, or multipart with `payload_json`); the bot needs VIEW_CHANNEL and
  SEND_MESSAGES there (ATTACH_FILES to upload; without EMBED_LINKS embeds
  are dropped); the starter message obeys the message limits and has the
  thread's id; Discord takes no nonce here, so neither does the sandbox; a forum
  with the REQUIRE_TAG flag refuses a post without `applied_tags` (400 code
  40067); the post keeps the tags it was given (up to 5, each one of the forum's);
  the forum's AutoMod keywords apply to the starter message (400 code 200000);
- the same route on a text channel starts a thread without a message:
  type 11 needs CREATE_PUBLIC_THREADS, type 12 (Discord's default)
  CREATE_PRIVATE_THREADS;
- `POST /channels/{id}/messages/{mid}/threads` starts a public thread on a
  message in a text channel; the thread's id is the message's, and a
  message has at most one thread (400 code 160004);
- a thread name is 1-100 characters and `auto_archive_duration` one of 60,
  1440, 4320, 10080 (else 400 code 50035); threads inside threads and other
  channel types are 400 code 50024;
- a new thread is dispatched as THREAD_CREATE (`newly_created`) before its
  starter message's MESSAGE_CREATE; the response is the thread with the bot
  as a member, plus `message` for a forum post;
- a new thread's activity starts its auto-archive countdown (see `state.py`);
- `GET /guilds/{id}/threads/active` lists the live threads that are not archived;
  `GET /channels/{id}/threads/archived/public` a channel's archived public threads (forum
  posts too), most recently archived first, paged by `before` (an archive time) and `limit`.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from bot.sandbox.fake_discord import payloads
from bot.sandbox.fake_discord import permissions as perms
from bot.sandbox.fake_discord.discord_limits import (
    automod_block,
    check_forum_tags,
    check_message,
    thread_name_error,
)
from bot.sandbox.fake_discord.message_store import NewMessage
from bot.sandbox.fake_discord.payloads import JSON, error_body
from bot.sandbox.fake_discord.responses import (
    discord_error,
    json_response,
    missing_permissions,
    read_message_body,
    snowflake_param,
    unknown_channel,
    unknown_message,
)
from bot.sandbox.fake_discord.state import STATE, SandboxState
from bot.sandbox.fake_discord.world import (
    NEWS_CHANNEL,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT_CHANNEL,
    ChannelSpec,
    GuildSpec,
    ThreadSpec,
)

ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
INVALID_FORM_BODY = 50035
WRONG_CHANNEL_TYPE = 50024
THREAD_ALREADY_CREATED = 160004
THREAD_PARENTS = frozenset({TEXT_CHANNEL, NEWS_CHANNEL})


def _field_error(field: str, code: str, message: str) -> web.Response:
    errors = {field: {"_errors": [{"code": code, "message": message}]}}
    return discord_error(400, INVALID_FORM_BODY, "Invalid Form Body", errors)


def _thread_fields_error(body: JSON) -> web.Response | None:
    name_error = thread_name_error(body.get("name"))
    if name_error is not None:
        errors = {"name": name_error}
        return discord_error(400, INVALID_FORM_BODY, "Invalid Form Body", errors)
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        return _field_error("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of")
    return None


def _wrong_channel_type() -> web.Response:
    return discord_error(400, WRONG_CHANNEL_TYPE, "Cannot execute action on this channel type")


async def _announce(state: SandboxState, guild: GuildSpec, thread: ThreadSpec) -> JSON:
    """Dispatch THREAD_CREATE; return the thread as the creating bot sees it."""
    bot_id = state.world.bot_user_id
    state.touch_thread(thread.id)
    body = payloads.thread_payload(guild, thread, newly_created=True, member_id=bot_id)
    await state.gateway.dispatch("THREAD_CREATE", body)
    return payloads.thread_payload(guild, thread, member_id=bot_id)


def _bot_permissions(state: SandboxState, channel_id: int) -> int:
    return state.world.channel_permissions(channel_id, state.world.bot_user_id)


async def create_thread(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/threads: a forum post, or a thread without a message."""
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    found = state.world.live_channel(channel_id) if channel_id else None
    if found is None:
        return unknown_channel()
    guild, parent = found
    body, files = await read_message_body(request)
    if parent.is_forum:
        return await _forum_post(state, guild, parent, body, files)
    if parent.type not in THREAD_PARENTS:
        return _wrong_channel_type()
    thread_type = int(body.get("type") or PRIVATE_THREAD)
    if thread_type not in (PUBLIC_THREAD, PRIVATE_THREAD):
        return _field_error("type", "BASE_TYPE_CHOICES", "Value must be one of (11, 12).")
    needed = perms.VIEW_CHANNEL | (
        perms.CREATE_PUBLIC_THREADS
        if thread_type == PUBLIC_THREAD
        else perms.CREATE_PRIVATE_THREADS
    )
    if not perms.has_all(_bot_permissions(state, parent.id), needed):
        return missing_permissions()
    error = _thread_fields_error(body)
    if error is not None:
        return error
    thread = state.world.add_thread(
        guild,
        parent,
        thread_id=state.snowflakes.next(),
        name=str(body["name"]),
        owner_id=state.world.bot_user_id,
        thread_type=thread_type,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
    )
    return json_response(await _announce(state, guild, thread))


async def _forum_post(
    state: SandboxState,
    guild: GuildSpec,
    forum: ChannelSpec,
    body: JSON,
    files: list[tuple[str, bytes]],
) -> web.Response:
    granted = _bot_permissions(state, forum.id)
    needed = perms.VIEW_CHANNEL | perms.SEND_MESSAGES | (perms.ATTACH_FILES if files else 0)
    if not perms.has_all(granted, needed):
        return missing_permissions()
    error = _thread_fields_error(body)
    if error is not None:
        return error
    message = body.get("message")
    if not isinstance(message, dict):
        return _field_error("message", "BASE_TYPE_REQUIRED", "This field is required")
    tag_error = check_forum_tags(body, forum_flags=forum.flags)
    if tag_error is not None:
        return json_response(tag_error, status=400)
    message = dict(message)
    if not perms.has_all(granted, perms.EMBED_LINKS):
        message["embeds"] = []
    problem = check_message(message, file_count=len(files), is_edit=False)
    if problem is not None:
        if "errors" in problem:
            problem = error_body(
                problem["code"], problem["message"], {"message": problem["errors"]}
            )
        return json_response(problem, status=400)
    blocked = automod_block(message, guild.automod_keywords_for(forum))
    if blocked is not None:
        return json_response(blocked, status=400)
    known_tags = {t.id for t in forum.available_tags}
    applied = [int(t) for t in body.get("applied_tags") or [] if str(t).isdigit()]
    thread_id = state.snowflakes.next()
    thread = state.world.add_thread(
        guild,
        forum,
        thread_id=thread_id,
        name=str(body["name"]),
        owner_id=state.world.bot_user_id,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        starter_message_id=thread_id,
        applied_tags=tuple(t for t in applied if t in known_tags)[:5],
    )
    bot = state.world.user(state.world.bot_user_id)
    assert bot is not None
    new = NewMessage(thread_id, guild.id, bot.id, payloads.user_payload(bot), message_id=thread_id)
    stored = state.store.create(new, message, files)
    response = await _announce(state, guild, thread)
    await state.publish("post", stored, message)
    return json_response(payloads.forum_post_payload(response, stored.payload))


async def create_thread_from_message(request: web.Request) -> web.Response:
    """POST /channels/{channel_id}/messages/{message_id}/threads: a thread on a message."""
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    found = state.world.live_channel(channel_id) if channel_id else None
    if found is None:
        return unknown_channel()
    guild, parent = found
    if parent.type not in THREAD_PARENTS:
        return _wrong_channel_type()
    stored = state.store.get(snowflake_param(request, "message_id") or 0)
    if stored is None or stored.channel_id != parent.id or stored.ephemeral:
        return unknown_message()
    needed = perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY | perms.CREATE_PUBLIC_THREADS
    if not perms.has_all(_bot_permissions(state, parent.id), needed):
        return missing_permissions()
    body, _ = await read_message_body(request)
    error = _thread_fields_error(body)
    if error is not None:
        return error
    if state.world.find_channel(stored.id) is not None:
        return discord_error(
            400, THREAD_ALREADY_CREATED, "A thread has already been created for this message"
        )
    thread = state.world.add_thread(
        guild,
        parent,
        thread_id=stored.id,
        name=str(body["name"]),
        owner_id=state.world.bot_user_id,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        starter_message_id=stored.id,
    )
    return json_response(await _announce(state, guild, thread))


async def active_threads(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/threads/active."""
    state = request.app[STATE]
    guild = state.world.guild(snowflake_param(request, "guild_id") or 0)
    if guild is None:
        return discord_error(404, 10004, "Unknown Guild")
    threads = guild.active_threads()
    body = payloads.active_threads_payload(guild, threads, state.world.bot_user_id)
    return json_response(body)


async def public_archived_threads(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}/threads/archived/public: a channel's archived public threads,
    most recently archived first, archived strictly `before` an ISO 8601 time, `limit` 2-100
    (default 50); the bot needs READ_MESSAGE_HISTORY (403 code 50001 without)."""
    state = request.app[STATE]
    channel_id = snowflake_param(request, "channel_id")
    found = state.world.live_channel(channel_id) if channel_id else None
    if found is None:
        return unknown_channel()
    guild, parent = found
    if parent.is_thread:
        return _wrong_channel_type()
    text = request.query.get("limit", "50")
    if not text.isdigit() or not 2 <= int(text) <= 100:
        return _field_error("limit", "NUMBER_TYPE_MAX", "int value should be between 2 and 100.")
    limit = int(text)
    before: int | None = None
    if "before" in request.query:
        try:
            before = round(datetime.fromisoformat(request.query["before"]).timestamp() * 1000)
        except ValueError:
            return _field_error("before", "DATE_TIME_TYPE_PARSE", "Could not parse date-time.")
    needed = perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY
    if not perms.has_all(_bot_permissions(state, parent.id), needed):
        return discord_error(403, 50001, "Missing Access")
    archived = [
        t
        for t in guild.archived_threads(parent.id)
        if t.type == PUBLIC_THREAD
        and (before is None or guild.archive_timestamps.get(t.id, 0) < before)
    ]
    page = archived[:limit]
    body = payloads.active_threads_payload(guild, page, state.world.bot_user_id)
    return json_response(body | {"has_more": len(archived) > limit})
