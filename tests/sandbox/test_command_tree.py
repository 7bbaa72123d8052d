"""A command tree that breaks Discord's limits fails to sync, with Discord's error.

Broken trees are built with real discord.py `app_commands` objects where discord.py lets
them be built, and as raw JSON where discord.py itself refuses (upper-case or spaced
names, more than 25 options, more than 100 commands, required after optional: discord.py
sorts required options first).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.sandbox.fake_discord import Sandbox
from tests.fixtures.discord_spec import SPEC_ABSENT, openapi_spec_folder
from tests.sandbox.conftest import RunningBot

JSON = dict[str, Any]


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


async def noop(interaction: discord.Interaction, text: str) -> None:
    return None


SlashCommand = app_commands.Command[Any, ..., None]


def feed_command(description: str = "Feeds") -> SlashCommand:
    """A real discord.py command `/feed text:` (its callback does nothing)."""
    return app_commands.Command(name="feed", description=description, callback=noop)


def as_json(*commands: SlashCommand | app_commands.Group) -> list[JSON]:
    """What `tree.sync()` would send for these commands."""
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    return [command.to_dict(tree) for command in commands]


def command(name: str = "feed", description: str = "Feeds", **extra: Any) -> JSON:
    return {"type": 1, "name": name, "description": description} | extra


def option(name: str, *, required: bool | None = False, kind: int = 3, **extra: Any) -> JSON:
    return {"type": kind, "name": name, "description": "An option", "required": required} | extra


async def put_commands(
    sandbox: Sandbox, raw: aiohttp.ClientSession, commands: list[JSON], *, guild: bool = False
) -> tuple[int, JSON]:
    scope = f"/guilds/{sandbox.world.guild_id}" if guild else ""
    url = f"{sandbox.api_base}/applications/{sandbox.application_id}{scope}/commands"
    async with raw.put(url, json=commands) as response:
        return response.status, await response.json()


async def assert_sync_refused(
    sandbox: Sandbox, raw: aiohttp.ClientSession, commands: list[JSON], *, code: int = 50035
) -> JSON:
    status, answer = await put_commands(sandbox, raw, commands)
    assert (status, answer["code"]) == (400, code), answer
    assert sandbox.state.commands.get(None) is None  # nothing was synced
    return answer


def first_error(answer: JSON, *path: str) -> JSON:
    node = answer["errors"]
    for part in path:
        node = node[part]
    found: JSON = node["_errors"][0]
    return found


async def test_a_valid_tree_syncs(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    choices = [{"name": f"Choice {n}", "value": f"c{n}"} for n in range(25)]
    options = [option("first", required=True, choices=choices)]
    options += [option(f"o{n}") for n in range(24)]
    scripts = [command("वार्ता"), command("ข่าว"), command("nachrichten-über")]
    commands = [command(options=options), *scripts]
    commands += [command(f"c{n}") for n in range(96)]
    status, answer = await put_commands(sandbox, raw, commands)
    assert status == 200, answer
    assert len(sandbox.state.commands[None]) == 100


@pytest.mark.parametrize("name", ["Feed", "feed list", "feed!", "f" * 33, ""])
async def test_invalid_command_name(
    sandbox: Sandbox, raw: aiohttp.ClientSession, name: str
) -> None:
    answer = await assert_sync_refused(sandbox, raw, [command(name)])
    first_error(answer, "0", "name")


@pytest.mark.parametrize("name", ["Url", "two words", "ü" * 33])
async def test_invalid_option_name(
    sandbox: Sandbox, raw: aiohttp.ClientSession, name: str
) -> None:
    answer = await assert_sync_refused(sandbox, raw, [command(options=[option(name)])])
    first_error(answer, "0", "options", "0", "name")


async def test_description_over_100_characters(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    broken = feed_command("d" * 101)
    answer = await assert_sync_refused(sandbox, raw, as_json(broken))
    first_error(answer, "0", "description")


async def test_empty_description(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    broken = feed_command("")
    answer = await assert_sync_refused(sandbox, raw, as_json(broken))
    assert first_error(answer, "0", "description")["code"] == "BASE_TYPE_BAD_LENGTH"


async def test_option_description_over_100_characters(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    # discord.py replaces an over-long parameter description with "…", so this is raw JSON.
    broken = [command(options=[option("text", description="d" * 101)])]
    answer = await assert_sync_refused(sandbox, raw, broken)
    first_error(answer, "0", "options", "0", "description")


async def test_more_than_25_options(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    answer = await assert_sync_refused(
        sandbox, raw, [command(options=[option(f"o{n}") for n in range(26)])]
    )
    first_error(answer, "0", "options")


async def test_more_than_25_choices(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    choices = [app_commands.Choice(name=f"c{n}", value=str(n)) for n in range(26)]
    broken: SlashCommand = app_commands.choices(text=choices)(feed_command())
    answer = await assert_sync_refused(sandbox, raw, as_json(broken))
    first_error(answer, "0", "options", "0", "choices")


async def test_choice_name_and_value_over_100_characters(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    for key, choice in (
        ("name", app_commands.Choice(name="n" * 101, value="v")),
        ("value", app_commands.Choice(name="n", value="v" * 101)),
    ):
        broken: SlashCommand = app_commands.choices(text=[choice])(feed_command())
        answer = await assert_sync_refused(sandbox, raw, as_json(broken))
        first_error(answer, "0", "options", "0", "choices", "0", key)


async def test_required_option_after_an_optional_one(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    options = [option("channel"), option("url", required=True)]
    answer = await assert_sync_refused(sandbox, raw, [command(options=options)])
    error = first_error(answer, "0", "options")
    assert error["code"] == "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"


async def test_command_over_4000_characters(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    choices = [app_commands.Choice(name="n" * 100, value="v" * 100) for _ in range(25)]
    broken: SlashCommand = app_commands.choices(text=choices)(feed_command())
    payload = as_json(broken)
    assert len(str(payload)) < 20_000  # every part within its own limit; the sum is 5,000+
    answer = await assert_sync_refused(sandbox, raw, payload)
    assert first_error(answer, "0")["code"] == "APPLICATION_COMMAND_TOO_LARGE"


async def test_subcommands_nested_too_deep_or_mixed(
    sandbox: Sandbox, raw: aiohttp.ClientSession
) -> None:
    sub = option("add", kind=1, required=None)
    mixed = [command(options=[sub, option("url")])]
    await assert_sync_refused(sandbox, raw, mixed)
    inner_group = option("inner", kind=2, required=None, options=[sub])
    deep = [command(options=[option("outer", kind=2, required=None, options=[inner_group])])]
    await assert_sync_refused(sandbox, raw, deep)


async def test_duplicate_command_names(sandbox: Sandbox, raw: aiohttp.ClientSession) -> None:
    answer = await assert_sync_refused(sandbox, raw, [command("feed"), command("feed")])
    assert first_error(answer, "1", "name")["code"] == "APPLICATION_COMMANDS_DUPLICATE_NAME"


@pytest.mark.parametrize("guild", [False, True], ids=["global", "guild"])
async def test_more_than_100_commands(
    sandbox: Sandbox, raw: aiohttp.ClientSession, guild: bool
) -> None:
    commands = [command(f"c{n}") for n in range(101)]
    status, answer = await put_commands(sandbox, raw, commands, guild=guild)
    assert (status, answer["code"]) == (400, 30032), answer
    assert sandbox.state.commands == {}


async def test_a_broken_tree_fails_to_sync_from_the_bot(running: RunningBot) -> None:
    sandbox, bot = running.sandbox, running.bot
    guild = discord.Object(id=sandbox.world.guild_id)
    before = copy.deepcopy(sandbox.state.commands[guild.id])

    @app_commands.command(name="broken", description="x" * 101)
    async def broken(interaction: discord.Interaction) -> None:
        return None

    bot.tree.add_command(broken, guild=guild)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.tree.sync(guild=guild)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert "description" in refused.value.text
    assert sandbox.state.commands[guild.id] == before
    outcome = await sandbox.run_command("/broken", timeout=3)
    assert outcome.refused is not None and "no command /broken" in outcome.refused
