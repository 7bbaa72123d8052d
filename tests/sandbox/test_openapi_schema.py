"""The OpenAPI check: every REST body is validated against Discord's own request schema.

Skipped, with the reason (`pytest -rs`), when Discord's description is not beside the
repository. The check is on in the tests' sandboxes and off in `newsdesk sandbox` unless asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app.cli import build_parser
from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.openapi_check import OpenApiCheck, OpenApiUnavailable
from tests.fixtures.discord_spec import SPEC_ABSENT, openapi_spec_folder

SPEC = openapi_spec_folder()
pytestmark = pytest.mark.skipif(SPEC is None, reason=SPEC_ABSENT)
MESSAGES = "/channels/{channel_id}/messages"
FIRST_COMPONENT = ["components", "0", "components", "0"]
MENTIONS = ["allowed_mentions"]
BAD_STYLE_ROW = {"type": 1, "components": [{"type": 2, "style": 9, "custom_id": "a"}]}


def spec() -> Path:
    assert SPEC is not None
    return SPEC


async def post(
    sandbox: Sandbox, raw: aiohttp.ClientSession, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('news')}/messages"
    async with raw.post(url, json=body) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"content": "x", "tts": "yes"}, ["tts"]),
        ({"embeds": [{"title": "T", "color": 2**24}]}, ["embeds", "0", "color"]),
        ({"content": "x", "components": [BAD_STYLE_ROW]}, [*FIRST_COMPONENT, "style"]),
        ({"content": "x", "allowed_mentions": {"parse": ["nobody"]}}, [*MENTIONS, "parse", "0"]),
    ],
)
async def test_what_only_the_schema_catches_is_refused(
    raw: aiohttp.ClientSession, body: dict[str, Any], path: list[str]
) -> None:
    async with Sandbox() as lenient:
        status, _ = await post(lenient, raw, body)
        assert status == 200  # the sandbox's own rules let it through
    async with Sandbox(openapi_spec=spec()) as strict:
        status, answer = await post(strict, raw, body)
        assert (status, answer["code"], answer["message"]) == (400, 50035, "Invalid Form Body")
        node = answer["errors"]
        for part in path:
            node = node[part]
        assert node["_errors"][0]["code"]
        [refusal] = strict.schema_refusals
        assert (refusal.method, refusal.route, refusal.body) == ("POST", MESSAGES, body)
        assert strict.posts("news") == []


async def test_corrections_are_narrow(raw: aiohttp.ClientSession) -> None:
    async with Sandbox(openapi_spec=spec()) as strict:
        role = strict.world.role_id("asia-desk")
        status, _ = await post(strict, raw, {"content": "x", "allowed_mentions": {"roles": [role]}})
        assert status == 200  # an integer snowflake, as discord.py sends it
        status, _ = await post(strict, raw, {"content": "x", "allowed_mentions": {"roles": ["x1"]}})
        assert status == 400  # not a snowflake at all
        status, _ = await post(strict, raw, {"content": "x", "allowed_mentions": {"roles": [-1]}})
        assert status == 400


def test_media_channels_are_a_channel_type() -> None:
    check = OpenApiCheck.load(spec())
    route = "/applications/{application_id}/commands"
    option = {"type": 7, "name": "channel", "description": "Where", "channel_types": [0, 15, 16]}
    good = [{"name": "feed", "description": "Feeds", "options": [option]}]
    assert check.refusal("PUT", route, good) is None
    bad = [{"name": "feed", "description": "Feeds", "options": [option | {"channel_types": [99]}]}]
    refused = check.refusal("PUT", route, bad)
    assert refused is not None and refused["code"] == 50035


def test_the_spec_is_read_once_and_validators_are_built_once() -> None:
    check = OpenApiCheck.load(spec())
    assert OpenApiCheck.load(spec()) is check
    validator = check.validator("POST", MESSAGES)
    assert validator is not None and check.validator("post", MESSAGES) is validator
    assert check.validator("GET", MESSAGES) is None  # no request body, nothing to check
    bad = {"content": "x", "tts": "yes"}
    first, again = check.refusal("POST", MESSAGES, bad), check.refusal("POST", MESSAGES, bad)
    assert first is not None and first == again and first is not again  # a remembered verdict


def test_a_missing_spec_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OpenApiUnavailable, match="not readable"):
        OpenApiCheck.load(tmp_path)


def test_off_for_newcomers_unless_asked() -> None:
    assert not Sandbox().checks_openapi_schema
    assert Sandbox(openapi_spec=spec()).checks_openapi_schema
    assert build_parser().parse_args(["sandbox"]).openapi_spec is None
    asked = build_parser().parse_args(["sandbox", "--openapi-spec", str(spec())])
    assert asked.openapi_spec == spec()
