"""The sandbox refuses what Discord documents it refuses, with Discord's status, code and errors.

One test per request Discord refuses (issue 14). Each runs twice: against the sandbox's own
rules alone (what holds where Discord's OpenAPI description is absent), and with the OpenAPI
schema check on top (skipped, with the reason, when the description is absent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from bot.sandbox.fake_discord import Sandbox
from tests.fixtures.discord_spec import SPEC_ABSENT, openapi_spec_folder
from tests.sandbox.conftest import RunningBot


@pytest.fixture(params=["own rules", "own rules + OpenAPI schema"])
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """A sandbox with its own rules only, then with the OpenAPI schema check as well."""
    spec = None
    if request.param.endswith("schema"):
        spec = openapi_spec_folder()
        if spec is None:
            pytest.skip(SPEC_ABSENT)
    async with Sandbox(openapi_spec=spec) as running:
        yield running


FIRST_COMPONENT = ("components", "0", "components", "0")


def errors_at(body: dict[str, Any], *path: str) -> list[dict[str, str]]:
    """The `_errors` list at a path of Discord's nested errors object (KeyError if absent)."""
    node = body["errors"]
    for part in path:
        node = node[part]
    errors: list[dict[str, str]] = node["_errors"]
    return errors


async def post_message(
    sandbox: Sandbox, raw: aiohttp.ClientSession, body: dict[str, Any], channel: str = "news"
) -> tuple[int, dict[str, Any]]:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id(channel)}/messages"
    async with raw.post(url, json=body) as response:
        return response.status, await response.json()


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def button(custom_id: str = "ok", label: str = "OK") -> dict[str, Any]:
    return {"type": 2, "style": 1, "custom_id": custom_id, "label": label}


def select(options: int = 2, custom_id: str = "pick") -> dict[str, Any]:
    choices = [{"label": f"Option {n}", "value": str(n)} for n in range(options)]
    return {"type": 3, "custom_id": custom_id, "options": choices}


async def assert_refused(
    sandbox: Sandbox, raw: aiohttp.ClientSession, body: dict[str, Any], *path: str
) -> list[dict[str, str]]:
    status, answer = await post_message(sandbox, raw, body)
    assert (status, answer["code"], answer["message"]) == (400, 50035, "Invalid Form Body")
    assert sandbox.posts("news") == []
    return errors_at(answer, *path)


async def test_a_valid_message_with_components_is_accepted(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    rows = [row(*(button(f"b{r}{n}") for n in range(5))) for r in range(4)] + [row(select(25))]
    body = {"content": "fine", "nonce": "n" * 25, "components": rows}
    status, answer = await post_message(sandbox, raw, body)
    assert status == 200, answer
    assert sandbox.schema_refusals == []


async def test_custom_id_over_100_characters(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    body = {"content": "x", "components": [row(button(custom_id="c" * 101))]}
    [error] = await assert_refused(sandbox, raw, body, *FIRST_COMPONENT, "custom_id")
    assert error["code"] in {"BASE_TYPE_BAD_LENGTH", "BASE_TYPE_MAX_LENGTH"}


async def test_button_label_over_80_characters(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    body = {"content": "x", "components": [row(button(label="l" * 81))]}
    [error] = await assert_refused(sandbox, raw, body, *FIRST_COMPONENT, "label")
    assert error["code"] == "BASE_TYPE_MAX_LENGTH"


async def test_more_than_5_buttons_in_a_row(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    body = {"content": "x", "components": [row(*(button(f"b{n}") for n in range(6)))]}
    await assert_refused(sandbox, raw, body, "components", "0", "components")


async def test_more_than_5_action_rows(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    body = {"content": "x", "components": [row(button(f"b{n}")) for n in range(6)]}
    [error] = await assert_refused(sandbox, raw, body, "components")
    assert error == {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 5 or fewer in length."}


async def test_a_select_shares_its_row_with_nothing(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    body = {"content": "x", "components": [row(select(), button())]}
    [error] = await assert_refused(sandbox, raw, body, "components", "0", "components", "1")
    assert error["code"] == "COMPONENT_LAYOUT_WIDTH_EXCEEDED"


async def test_more_than_25_select_options(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    body = {"content": "x", "components": [row(select(26))]}
    await assert_refused(sandbox, raw, body, *FIRST_COMPONENT, "options")


async def test_nonce_over_25_characters(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    body = {"content": "x", "nonce": "n" * 26, "enforce_nonce": True}
    [error] = await assert_refused(sandbox, raw, body, "nonce")
    assert error["code"] == "BASE_TYPE_MAX_LENGTH"


@pytest.mark.parametrize("kind", ["roles", "users"])
async def test_allowed_mentions_parse_and_list_together(
    sandbox: Sandbox, raw: aiohttp.ClientSession, kind: str
) -> None:
    target = sandbox.world.role_id("asia-desk") if kind == "roles" else sandbox.bot_user_id
    mentions = {"parse": [kind], kind: [str(target)]}
    body = {"content": "x", "allowed_mentions": mentions}
    [error] = await assert_refused(sandbox, raw, body, "allowed_mentions")
    assert error["code"] == "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"


@pytest.mark.parametrize("key", ["name", "value"])
async def test_empty_embed_field_name_or_value(
    sandbox: Sandbox, raw: aiohttp.ClientSession, key: str
) -> None:
    field = {"name": "Source", "value": "Reuters"} | {key: ""}
    body = {"embeds": [{"title": "T", "fields": [field]}]}
    [error] = await assert_refused(sandbox, raw, body, "embeds", "0", "fields", "0", key)
    assert error["code"] == "BASE_TYPE_REQUIRED"


@pytest.mark.parametrize(
    ("embed", "path"),
    [
        ({"title": "T", "url": "javascript:alert(1)"}, ("url",)),
        ({"title": "T", "image": {"url": "javascript:alert(1)"}}, ("image", "url")),
        ({"title": "T", "author": {"name": "A", "url": "data:text/html,x"}}, ("author", "url")),
    ],
)
async def test_embed_url_that_is_not_http(
    sandbox: Sandbox, raw: aiohttp.ClientSession, embed: dict[str, Any], path: tuple[str, ...]
) -> None:
    [error] = await assert_refused(sandbox, raw, {"embeds": [embed]}, "embeds", "0", *path)
    assert error["code"] == "URL_TYPE_INVALID_SCHEME"


async def test_embed_attachment_image_is_accepted(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    embed = {"url": "https://news.example/a", "image": {"url": "attachment://chart.png"}}
    body = {"embeds": [{"title": "T"} | embed]}
    status, answer = await post_message(sandbox, raw, body)
    assert status == 200, answer


async def test_automod_keyword_blocks_the_message(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    sandbox.set_automod_keywords("news", ["forbidden"])
    status, answer = await post_message(sandbox, raw, {"embeds": [{"title": "A Forbidden word"}]})
    assert (status, answer["code"]) == (400, 200000)
    status, answer = await post_message(sandbox, raw, {"content": "unforbiddenly fine"})
    assert status == 200, answer
    status, _ = await post_message(sandbox, raw, {"content": "forbidden"}, channel="world")
    assert status == 200


async def test_webhook_created_as_clyde(running: RunningBot) -> None:
    news = running.bot.get_channel(running.sandbox.world.channel_id("news"))
    assert isinstance(news, discord.TextChannel)
    for name in ("Clyde", "my clyde bot", "", "w" * 81):
        with pytest.raises(discord.HTTPException) as refused:
            await news.create_webhook(name=name)
        assert (refused.value.status, refused.value.code) == (400, 50035), name
    assert running.sandbox.webhooks() == []
    await news.create_webhook(name="w" * 80)


async def test_webhook_executed_as_discord(running: RunningBot) -> None:
    news = running.bot.get_channel(running.sandbox.world.channel_id("news"))
    assert isinstance(news, discord.TextChannel)
    hook = await news.create_webhook(name="Wire")
    with pytest.raises(discord.HTTPException) as refused:
        await hook.send("x", username="DISCORD", wait=True)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert 'In username: Username cannot contain "discord"' in refused.value.text
    assert running.sandbox.posts("news") == []
    await hook.send("x", username="Reuters", wait=True)


async def test_deleted_webhook_is_unknown(running: RunningBot) -> None:
    news = running.bot.get_channel(running.sandbox.world.channel_id("news"))
    assert isinstance(news, discord.TextChannel)
    hook = await news.create_webhook(name="Wire")
    running.sandbox.delete_webhook(hook.id)
    with pytest.raises(discord.NotFound) as gone:
        await hook.send("x", wait=True)
    assert gone.value.code == 10015
    other = await news.create_webhook(name="Wire 2")
    await other.delete()
    with pytest.raises(discord.NotFound) as deleted:
        await other.send("x", wait=True)
    assert deleted.value.code == 10015
    assert running.sandbox.webhooks() == []


async def test_webhook_into_a_forum_needs_a_thread(running: RunningBot) -> None:
    forum = running.bot.get_channel(running.sandbox.world.channel_id("forum-news"))
    assert isinstance(forum, discord.ForumChannel)
    hook = await forum.create_webhook(name="Wire")
    with pytest.raises(discord.HTTPException) as refused:
        await hook.send("x", wait=True)
    assert (refused.value.status, refused.value.code) == (400, 220001)
    assert running.sandbox.posts("forum-news") == []


async def post_forum(
    sandbox: Sandbox, raw: aiohttp.ClientSession, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    url = f"{sandbox.api_base}/channels/{sandbox.world.channel_id('forum-news')}/threads"
    async with raw.post(url, json=body) as response:
        return response.status, await response.json()


async def test_forum_requiring_tags_refuses_an_untagged_post(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    [news, _] = sandbox.set_forum_tags("forum-news", require_tag=True)
    post = {"name": "Quake", "message": {"content": "summary"}}
    status, answer = await post_forum(sandbox, raw, post)
    assert (status, answer["code"]) == (400, 40067)
    status, answer = await post_forum(sandbox, raw, post | {"applied_tags": [str(news.id)]})
    assert status == 200, answer
    assert answer["applied_tags"] == [str(news.id)]
    assert len(sandbox.threads("forum-news")) == 1


async def test_forum_post_name_over_100_characters(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    post = {"name": "n" * 101, "message": {"content": "x"}}
    status, answer = await post_forum(sandbox, raw, post)
    assert (status, answer["code"]) == (400, 50035)
    errors_at(answer, "name")
    assert sandbox.threads("forum-news") == []
