"""The sandbox's REST application: routing, authentication, rate limits, core routes.

Rules:
- everything lives under `/api/v10` (and `/api/v9`, `/api` for safety);
  the gateway websocket is at `/gateway`;
- every route except webhook-token and interaction routes needs
  `Authorization: Bot <sandbox token>`; anything else is 401
  `{"message": "401: Unauthorized", "code": 0}`;
- rate limits (see `rate_limits.py`) apply before the handler; their
  headers go on every answer;
- a route a test slowed down (`Sandbox.set_latency`) answers only after that delay, as a
  busy Discord (or a long queue in the bot's pacer) would;
- with the OpenAPI check on (`openapi_check.py`), a POST/PUT/PATCH body that breaks
  its route's request schema is refused there (400 code 50035) before the handler,
  logged and kept in `state.schema_refusals`;
- `PUT .../commands` replaces a scope's commands only when the whole tree keeps
  Discord's limits (`discord_limits.check_command_tree`), else it answers Discord's
  error and the old commands stay;
- unknown routes are 404 `{"message": "404: Not Found", "code": 0}` and are
  logged and kept in `state.unknown_routes`, so missing routes get noticed;
- every 4xx answer of an API route (401, 429, a schema or limit refusal, an unknown
  channel...) is kept in `state.refused_requests` with the request's body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.sandbox.fake_discord import (
    payloads,
    rest_interactions,
    rest_messages,
    rest_roles,
    rest_threads,
)
from bot.sandbox.fake_discord.discord_limits import check_command_tree
from bot.sandbox.fake_discord.openapi_check import SchemaRefusal
from bot.sandbox.fake_discord.records import RefusedRequest
from bot.sandbox.fake_discord.responses import (
    discord_error,
    json_response,
    read_body,
    snowflake_param,
    unknown_channel,
)
from bot.sandbox.fake_discord.state import STATE, SandboxState

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/v10", "/api/v9", "/api")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOKEN_ROUTES = ("/webhooks/{webhook_id}/{webhook_token}", "/interactions/", "/files/")
GLOBAL_EXEMPT = ("/interactions/",)
CALLBACK_ROUTE = "/interactions/{interaction_id}/{interaction_token}/callback"


def _route_template(request: web.Request) -> str | None:
    resource = request.match_info.route.resource
    if resource is None:
        return None
    template = resource.canonical
    for prefix in API_PREFIXES:
        if template.startswith(prefix + "/"):
            return template[len(prefix) :]
    return None


def _major_parameters(request: web.Request) -> str:
    info = request.match_info
    keys = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id")
    return "+".join(info[k] for k in keys if k in info)


@web.middleware
async def discord_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authentication and rate limits for API routes; every 4xx answer is kept."""
    template = _route_template(request)
    if template is None or template == "/{tail}":
        return await handler(request)
    response = await _answer(request, handler, template)
    if 400 <= response.status < 500:
        await _keep_refusal(request, response)
    return response


async def _keep_refusal(request: web.Request, response: web.StreamResponse) -> None:
    answer: object = None
    if isinstance(response, web.Response) and response.body is not None:
        with contextlib.suppress(ValueError, TypeError):
            answer = json.loads(bytes(response.body))  # type: ignore[arg-type]
    code = answer.get("code") if isinstance(answer, dict) else None
    message = answer.get("message") if isinstance(answer, dict) else None
    body: object = None
    if request.method in ("POST", "PUT", "PATCH"):
        with contextlib.suppress(ValueError):
            body, _ = await read_body(request)
    refused = RefusedRequest(
        request.method, request.path, response.status,
        code if isinstance(code, int) else None, str(message or response.reason), body,
    )
    request.app[STATE].refused_requests.append(refused)


async def _answer(request: web.Request, handler: Handler, template: str) -> web.StreamResponse:
    state = request.app[STATE]
    state.requests[f"{request.method} {template}"] += 1
    needs_auth = not template.startswith(TOKEN_ROUTES)
    if template.startswith("/webhooks/{webhook_id}/{webhook_token}"):
        needs_auth = False
    if needs_auth and request.headers.get("Authorization") != f"Bot {state.token}":
        return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
    is_interaction = template.startswith(GLOBAL_EXEMPT) or (
        snowflake_param(request, "webhook_id") == state.world.application_id
    )
    decision = state.limiter.check(
        f"{request.method} {template}", _major_parameters(request), exempt_global=is_interaction
    )
    if not decision.allowed:
        return json_response(decision.body, status=429, headers=decision.headers)
    latency = state.route_latency.get(f"{request.method} {template}")
    if latency:
        # A busy Discord (or a long queue in the bot's pacer) as a test sets it up.
        await asyncio.sleep(latency)
    if state.openapi is not None:
        refused = await _schema_refusal(request, state, template)
        if refused is not None:
            return json_response(refused, status=400, headers=decision.headers)
    response = await handler(request)
    response.headers.update(decision.headers)
    return response


async def _schema_refusal(
    request: web.Request, state: SandboxState, template: str
) -> payloads.JSON | None:
    """Discord's 400 body when the request body breaks the OpenAPI schema of its route."""
    assert state.openapi is not None
    method = request.method
    if method not in ("POST", "PUT", "PATCH"):
        return None
    body, _ = await read_body(request)
    refused = state.openapi.refusal(method, template, body)
    if refused is not None:
        state.schema_refusals.append(SchemaRefusal(method, template, body, refused))
        if template == CALLBACK_ROUTE:
            rest_interactions.note_refused_callback(request, state, refused)
        log.warning(
            "sandbox: %s %s breaks Discord's OpenAPI schema: %s", method, template, refused
        )
    return refused


async def get_me(request: web.Request) -> web.Response:
    """GET /users/@me: the bot user."""
    state = request.app[STATE]
    bot = state.world.user(state.world.bot_user_id)
    assert bot is not None
    return json_response(payloads.user_payload(bot) | {"verified": True, "mfa_enabled": False})


async def get_user(request: web.Request) -> web.Response:
    """GET /users/{user_id}."""
    state = request.app[STATE]
    user = state.world.user(snowflake_param(request, "user_id") or 0)
    if user is None:
        return discord_error(404, 10013, "Unknown User")
    return json_response(payloads.user_payload(user))


async def get_gateway(request: web.Request) -> web.Response:
    """GET /gateway and /gateway/bot."""
    state = request.app[STATE]
    if request.path.endswith("/bot"):
        return json_response(state.gateway.gateway_bot_payload())
    return json_response({"url": state.gateway.resume_url})


async def get_application(request: web.Request) -> web.Response:
    """GET /oauth2/applications/@me and /applications/@me."""
    return json_response(payloads.application_payload(request.app[STATE].world))


def _scope(request: web.Request, state: SandboxState) -> int | web.Response | None:
    if snowflake_param(request, "application_id") != state.world.application_id:
        return discord_error(403, 50001, "Missing Access")
    if "guild_id" not in request.match_info:
        return None
    guild_id = snowflake_param(request, "guild_id")
    if guild_id is None or state.world.guild(guild_id) is None:
        return discord_error(403, 50001, "Missing Access")
    return guild_id


async def put_commands(request: web.Request) -> web.Response:
    """PUT /applications/{id}/commands and /applications/{id}/guilds/{gid}/commands."""
    state = request.app[STATE]
    scope = _scope(request, state)
    if isinstance(scope, web.Response):
        return scope
    body, _ = await read_body(request)
    refused = check_command_tree(body)
    if refused is not None:
        return json_response(refused, status=400)
    return json_response(state.store_commands(scope, body))


async def get_commands(request: web.Request) -> web.Response:
    """GET the synced commands of a scope."""
    state = request.app[STATE]
    scope = _scope(request, state)
    if isinstance(scope, web.Response):
        return scope
    return json_response(state.commands.get(scope, []))


async def get_guild(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}."""
    state = request.app[STATE]
    guild = state.world.guild(snowflake_param(request, "guild_id") or 0)
    if guild is None:
        return discord_error(404, 10004, "Unknown Guild")
    return json_response(payloads.guild_payload(guild))


async def get_guild_channels(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/channels."""
    state = request.app[STATE]
    guild = state.world.guild(snowflake_param(request, "guild_id") or 0)
    if guild is None:
        return discord_error(404, 10004, "Unknown Guild")
    return json_response([payloads.channel_payload(guild, c) for c in guild.live_channels()])


async def get_guild_roles(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/roles."""
    state = request.app[STATE]
    guild = state.world.guild(snowflake_param(request, "guild_id") or 0)
    if guild is None:
        return discord_error(404, 10004, "Unknown Guild")
    return json_response([payloads.role_payload(r) for r in guild.roles])


async def get_guild_member(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/members/{user_id}."""
    state = request.app[STATE]
    guild = state.world.guild(snowflake_param(request, "guild_id") or 0)
    user_id = snowflake_param(request, "user_id") or 0
    if guild is None:
        return discord_error(404, 10004, "Unknown Guild")
    if user_id not in guild.members:
        return discord_error(404, 10007, "Unknown Member")
    return json_response(payloads.member_payload(state.world, guild, user_id))


async def get_channel(request: web.Request) -> web.Response:
    """GET /channels/{channel_id}."""
    state = request.app[STATE]
    found = state.world.live_channel(snowflake_param(request, "channel_id") or 0)
    if found is None:
        return unknown_channel()
    return json_response(payloads.channel_payload(*found))


async def get_file(request: web.Request) -> web.Response:
    """GET /files/{message_id}/{index}/{name}: an uploaded attachment's bytes."""
    state = request.app[STATE]
    stored = state.store.get(snowflake_param(request, "message_id") or 0)
    index = snowflake_param(request, "index")
    if stored is None or index is None or index >= len(stored.files):
        return discord_error(404, 0, "404: Not Found")
    return web.Response(body=stored.files[index][1], content_type="application/octet-stream")


async def get_attachment(request: web.Request) -> web.Response:
    """GET /attachments/{attachment_id}/{filename}: a command attachment (no auth, like the CDN)."""
    state = request.app[STATE]
    upload = state.uploads.get(snowflake_param(request, "attachment_id") or 0)
    if upload is None or upload.filename != request.match_info["filename"]:
        return discord_error(404, 0, "404: Not Found")
    return web.Response(body=upload.data, headers={"Content-Type": upload.content_type})


async def unknown_route(request: web.Request) -> web.Response:
    """Any route the sandbox does not answer: 404, logged."""
    state = request.app[STATE]
    line = f"{request.method} {request.path}"
    state.unknown_routes.append(line)
    log.warning("sandbox: unknown route %s", line)
    return discord_error(404, 0, "404: Not Found")


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/users/@me", get_me),
    ("GET", "/users/{user_id}", get_user),
    ("GET", "/gateway", get_gateway),
    ("GET", "/gateway/bot", get_gateway),
    ("GET", "/oauth2/applications/@me", get_application),
    ("GET", "/applications/@me", get_application),
    ("PUT", "/applications/{application_id}/commands", put_commands),
    ("GET", "/applications/{application_id}/commands", get_commands),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", put_commands),
    ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", get_commands),
    ("GET", "/guilds/{guild_id}", get_guild),
    ("GET", "/guilds/{guild_id}/channels", get_guild_channels),
    ("GET", "/guilds/{guild_id}/roles", get_guild_roles),
    ("GET", "/guilds/{guild_id}/members/{user_id}", get_guild_member),
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", rest_roles.add_member_role),
    (
        "DELETE",
        "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
        rest_roles.remove_member_role,
    ),
    ("GET", "/channels/{channel_id}", get_channel),
    ("GET", "/channels/{channel_id}/messages", rest_messages.list_messages),
    ("POST", "/channels/{channel_id}/messages", rest_messages.create_message),
    ("GET", "/channels/{channel_id}/messages/{message_id}", rest_messages.get_message),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}", rest_messages.edit_message),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}", rest_messages.delete_message),
    ("POST", "/channels/{channel_id}/threads", rest_threads.create_thread),
    (
        "POST",
        "/channels/{channel_id}/messages/{message_id}/threads",
        rest_threads.create_thread_from_message,
    ),
    ("GET", "/guilds/{guild_id}/threads/active", rest_threads.active_threads),
    (
        "GET",
        "/channels/{channel_id}/threads/archived/public",
        rest_threads.public_archived_threads,
    ),
    ("POST", "/channels/{channel_id}/webhooks", rest_messages.create_webhook),
    ("GET", "/channels/{channel_id}/webhooks", rest_messages.list_channel_webhooks),
    ("DELETE", "/webhooks/{webhook_id}", rest_messages.delete_webhook),
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}", rest_messages.delete_webhook_with_token),
    ("GET", "/webhooks/{webhook_id}/{webhook_token}", rest_messages.get_webhook_with_token),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}", rest_messages.execute_webhook),
    (
        "*",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        rest_messages.webhook_message,
    ),
    (
        "POST",
        CALLBACK_ROUTE,
        rest_interactions.callback,
    ),
]


def build_app(state: SandboxState) -> web.Application:
    """The aiohttp application serving the sandbox's REST API and gateway."""
    app = web.Application(middlewares=[discord_middleware], client_max_size=64 * 1024 * 1024)
    app[STATE] = state
    app.router.add_get("/gateway", state.gateway.handle)
    app.router.add_get("/api/v10/files/{message_id}/{index}/{name}", get_file)
    app.router.add_get("/attachments/{attachment_id}/{filename}", get_attachment)
    for prefix in API_PREFIXES:
        for method, path, handler in ROUTES:
            app.router.add_route(method, prefix + path, handler)
    app.router.add_route("*", "/{tail:.*}", unknown_route)
    return app
