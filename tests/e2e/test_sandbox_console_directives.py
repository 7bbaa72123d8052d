"""The console's admin directives: what a server admin does in Discord's own settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord
import pytest

from bot.sandbox.console import Console, ScriptError
from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.discord_limits import REQUIRE_TAG_FLAG
from bot.sandbox.session import SessionLog
from tests.e2e.conftest import BotStarter, fast_and_slow_opml
from tests.fixtures.http_servers import RouteServer
from tests.waiting import eventually


async def test_admin_directives_delete_and_configure(
    sandbox: Sandbox, start_bot: BotStarter
) -> None:
    world = sandbox.world
    async with start_bot() as bot:
        console = Console(sandbox, bot, SessionLog(sandbox))
        news = bot.get_channel(world.channel_id("news"))
        assert isinstance(news, discord.TextChannel)
        hook = await news.create_webhook(name="Wire")

        await console.run_line(":delete-webhook #news")
        assert sandbox.webhooks() == []
        with pytest.raises(discord.NotFound) as gone:
            await hook.send("x", wait=True)
        assert gone.value.code == 10015
        with pytest.raises(ScriptError, match="no webhook"):
            await console.run_line(":delete-webhook Wire")

        role_id = world.role_id("asia-desk")
        await console.run_line(":delete-role @asia-desk")
        assert world.primary.role(role_id) is None

        await console.run_line(":delete-channel #tech")
        assert world.live_channel(world.channel_id("tech")) is None

        await console.run_line(":require-tags forum-news on")
        found = world.find_channel(world.channel_id("forum-news"))
        assert found is not None and found[1].flags & REQUIRE_TAG_FLAG
        with pytest.raises(ScriptError, match="on or off"):
            await console.run_line(":require-tags forum-news maybe")
        with pytest.raises(ScriptError, match="not a forum"):
            await console.run_line(":require-tags news on")

        await console.run_line(":automod #news spoiler leak")
        assert world.primary.automod_keywords[world.channel_id("news")] == ("spoiler", "leak")
        with pytest.raises(discord.HTTPException) as blocked:
            await news.send("a spoiler")
        assert blocked.value.code == 200000
        await console.run_line(":automod #news")
        await news.send("a spoiler")

        me = news.guild.me
        await console.run_line(":manage-roles on")
        await eventually(lambda: me.guild_permissions.manage_roles)
        await console.run_line(":manage-roles off")
        await eventually(lambda: not me.guild_permissions.manage_roles)
        assert me.guild_permissions.manage_webhooks  # the role's other permissions stay
        with pytest.raises(ScriptError, match="on or off"):
            await console.run_line(":manage-roles maybe")


async def test_a_script_line_waits_for_its_command_past_the_first_progress_message(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, tmp_path: Path
) -> None:
    opml, release = fast_and_slow_opml(feed_server, tmp_path / "two.opml")
    async with start_bot() as bot:
        console = Console(sandbox, bot, SessionLog(sandbox))
        line = asyncio.create_task(
            console.run_script_line(f"/feed import file:{opml} channel:#news")
        )
        try:
            await eventually(
                lambda: any(m.content == "Importing… 1 of 2" for m in sandbox.messages)
            )
            # Longer than the sandbox's quiet spell after an answer: the old script moved on
            # (and its end stopped the bot, cancelling the import) here.
            finished, _ = await asyncio.wait({line}, timeout=1.0)
            assert not finished, "the script moved on while /feed import was still running"
        finally:
            release.set()
        await line
        assert sandbox.messages[-1].content.startswith("Imported two.opml into <#")
