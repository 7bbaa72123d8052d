"""HTTP response and request-body helpers for the sandbox's REST routes.

Rules:
- every JSON response carries `Content-Type: application/json` exactly, with
  no charset (discord.py reads anything else as text);
- Discord errors are `{"code", "message"[, "errors"]}` with the right status;
- a message body is JSON, or multipart/form-data with a `payload_json` part
  and `files[n]` parts (discord.py's shape); files keep their filename;
- a request's body is read once and kept on the request, so the OpenAPI check
  (in the middleware) and the route handler see the same parsed body.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox.fake_discord.payloads import JSON, error_body

UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNKNOWN_GUILD = 10004
MISSING_PERMISSIONS = 50013
MISSING_ACCESS = 50001
INVALID_WEBHOOK_TOKEN = 50027


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A response whose Content-Type is exactly application/json."""
    response = web.Response(body=json.dumps(body).encode(), status=status, headers=headers)
    response.headers["Content-Type"] = "application/json"
    return response


def no_content() -> web.Response:
    """An empty 204 response."""
    return web.Response(status=204)


def discord_error(status: int, code: int, message: str, errors: JSON | None = None) -> web.Response:
    """A Discord-shaped error response."""
    return json_response(error_body(code, message, errors), status=status)


def unknown_channel() -> web.Response:
    """404 Unknown Channel."""
    return discord_error(404, UNKNOWN_CHANNEL, "Unknown Channel")


def unknown_message() -> web.Response:
    """404 Unknown Message."""
    return discord_error(404, UNKNOWN_MESSAGE, "Unknown Message")


def unknown_webhook() -> web.Response:
    """404 Unknown Webhook."""
    return discord_error(404, UNKNOWN_WEBHOOK, "Unknown Webhook")


def unknown_interaction() -> web.Response:
    """404 Unknown interaction (answered too late, or never sent)."""
    return discord_error(404, UNKNOWN_INTERACTION, "Unknown interaction")


def invalid_webhook_token() -> web.Response:
    """401 Invalid Webhook Token (an interaction token older than 15 minutes)."""
    return discord_error(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")


def missing_permissions() -> web.Response:
    """403 Missing Permissions."""
    return discord_error(403, MISSING_PERMISSIONS, "Missing Permissions")


def snowflake_param(request: web.Request, name: str) -> int | None:
    """A path parameter as an int, or None if it is not a number."""
    text = request.match_info.get(name, "")
    return int(text) if text.isdigit() else None


Files = list[tuple[str, bytes]]
PARSED_BODY: web.RequestKey[tuple[Any, Files]] = web.RequestKey("sandbox_parsed_body", tuple)


async def read_body(request: web.Request) -> tuple[Any, Files]:
    """The parsed JSON body (any JSON value; None when absent or unreadable) and its files."""
    if PARSED_BODY in request:
        return request[PARSED_BODY]
    parsed = await _parse_body(request)
    request[PARSED_BODY] = parsed
    return parsed


async def read_message_body(request: web.Request) -> tuple[JSON, Files]:
    """The JSON object body and uploaded files of a message request."""
    body, files = await read_body(request)
    return (dict(body) if isinstance(body, dict) else {}), files


async def _parse_body(request: web.Request) -> tuple[Any, Files]:
    if not request.content_type.startswith("multipart/"):
        if not request.can_read_body:
            return None, []
        try:
            return await request.json(), []
        except json.JSONDecodeError:
            return None, []
    body: Any = None
    files: Files = []
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        data = await part.read()
        if part.name == "payload_json":
            body = json.loads(data.decode())
        elif part.name and part.name.startswith("file"):
            files.append((part.filename or part.name, bytes(data)))
    return body, files


def query_flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter ('1', 'true', 'True')."""
    return request.query.get(name, "").lower() in {"1", "true"}
