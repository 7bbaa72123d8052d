"""Fixtures for the sandbox conformance tests: a running sandbox and a minimal real bot.

The bot is a plain `commands.Bot` with a few app commands that exercise what
Discord (not discord.py) enforces: default permissions, integer ranges,
choices, channel options, deferring, components, attachments, autocomplete
and deadlines (`/hold` keeps its interaction in `bot.held` unanswered).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.sandbox.fake_discord import Sandbox
from tests.fixtures.discord_spec import openapi_spec_folder

START_TIMEOUT = 10.0


class ConfirmView(discord.ui.View):
    """A button and a select, to test component clicks."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Confirm", custom_id="confirm")
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]
    ) -> None:
        await interaction.response.edit_message(
            content=f"confirmed by {interaction.user.name}", view=None
        )

    @discord.ui.select(
        custom_id="colour",
        options=[
            discord.SelectOption(label="Red", value="red"),
            discord.SelectOption(label="Blue", value="blue"),
        ],
    )
    async def colour(
        self, interaction: discord.Interaction, select: discord.ui.Select[ConfirmView]
    ) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


class SandboxTestBot(commands.Bot):
    """A commands.Bot that keeps the interactions `/hold` and `/holddefer` left open."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1
        )
        self.held: list[discord.Interaction] = []
        self.holding = asyncio.Event()


class FeedbackModal(discord.ui.Modal, title="Send feedback"):
    """Two text inputs in action rows; answers with a reply, or an edit when from a button."""

    headline: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Headline", custom_id="headline", max_length=20
    )
    body: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Body",
        custom_id="body",
        style=discord.TextStyle.paragraph,
        required=False,
        min_length=5,
    )

    def __init__(self, *, edit: bool = False) -> None:
        super().__init__(custom_id="feedback")
        self.edit = edit

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text = f"thanks: {self.headline.value} / {self.body.value or '-'}"
        if self.edit:
            await interaction.response.edit_message(content=text, view=None)
        else:
            await interaction.response.send_message(text, ephemeral=True)


class DeskModal(discord.ui.Modal, title="Pick a desk"):
    """A select inside a label (component type 18)."""

    desk: discord.ui.Label[DeskModal] = discord.ui.Label(
        text="Desk",
        component=discord.ui.Select(
            custom_id="desk",
            options=[
                discord.SelectOption(label="Asia", value="asia"),
                discord.SelectOption(label="Tech", value="tech"),
            ],
        ),
    )

    def __init__(self) -> None:
        super().__init__(custom_id="desk-form")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        select = self.desk.component
        assert isinstance(select, discord.ui.Select)
        await interaction.response.send_message(f"desk {select.values[0]}")


class FormButtonView(discord.ui.View):
    """A button that opens the feedback modal, which then edits this message."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Open form", custom_id="open-form")
    async def open_form(
        self, interaction: discord.Interaction, button: discord.ui.Button[FormButtonView]
    ) -> None:
        await interaction.response.send_modal(FeedbackModal(edit=True))


def build_test_bot() -> SandboxTestBot:
    """A minimal real discord.py bot with a handful of app commands."""
    bot = SandboxTestBot()

    @bot.tree.command(name="feedback", description="Opens a modal")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @bot.tree.command(name="desk", description="Opens a modal with a select")
    async def desk(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(DeskModal())

    @bot.tree.command(name="formbutton", description="A message whose button opens a modal")
    async def formbutton(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("fill it in", view=FormButtonView())

    @bot.tree.command(name="hold", description="Keeps the interaction without answering")
    async def hold(interaction: discord.Interaction) -> None:
        bot.held.append(interaction)
        bot.holding.set()

    @bot.tree.command(name="holddefer", description="Defers and keeps the interaction")
    async def holddefer(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        bot.held.append(interaction)
        bot.holding.set()

    @bot.tree.command(name="ping", description="Reply pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @bot.tree.command(name="secret", description="Ephemeral reply")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)

    @bot.tree.command(name="configure", description="Admins only")
    @app_commands.default_permissions(manage_guild=True)
    async def configure(interaction: discord.Interaction) -> None:
        perms = interaction.permissions
        await interaction.response.send_message(f"configured (manage_guild={perms.manage_guild})")

    @bot.tree.command(name="backfill", description="Integer range and choice")
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="Fast", value="fast"),
            app_commands.Choice(name="Slow", value="slow"),
        ]
    )
    async def backfill(
        interaction: discord.Interaction,
        count: app_commands.Range[int, 0, 10],
        mode: app_commands.Choice[str],
        note: str | None = None,
    ) -> None:
        await interaction.response.send_message(f"backfill {count} {mode.value} {note or '-'}")

    @bot.tree.command(name="announce", description="Post to a channel")
    async def announce(
        interaction: discord.Interaction, channel: discord.TextChannel, text: str
    ) -> None:
        await channel.send(text)
        await interaction.response.send_message(f"posted to {channel.mention}", ephemeral=True)

    @bot.tree.command(name="slow", description="Defers then follows up")
    async def slow(interaction: discord.Interaction, hidden: bool = False) -> None:
        await interaction.response.defer(ephemeral=hidden, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done slowly")

    @bot.tree.command(name="publicdefer", description="Defers publicly, then hides follow-ups")
    async def publicdefer(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("first, marked ephemeral", ephemeral=True)
        await interaction.followup.send("second, marked ephemeral", ephemeral=True)

    @bot.tree.command(name="edited", description="Defers then edits the original")
    async def edited(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="edited original")

    @bot.tree.command(name="silent", description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    @bot.tree.command(name="buttons", description="Sends a message with components")
    async def buttons(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("choose", view=ConfirmView())

    feed = app_commands.Group(name="feed", description="Feeds")

    @feed.command(name="add", description="Add a feed")
    async def feed_add(
        interaction: discord.Interaction, url: str, channel: discord.TextChannel
    ) -> None:
        await interaction.response.send_message(f"added {url} to {channel.name}")

    @feed.command(name="import", description="Import feeds from an OPML file")
    async def feed_import(
        interaction: discord.Interaction,
        file: discord.Attachment,
        channel: discord.TextChannel,
        note: str | None = None,
    ) -> None:
        data = await file.read()
        first = data.decode(errors="replace").splitlines()[0] if data else ""
        await interaction.response.send_message(
            f"{file.filename} {file.size} {file.content_type} -> {channel.name}: {first}"
        )

    feeds = ["example.com/rss", "example.org/atom", "news.test/feed"]

    @feed.command(name="remove", description="Remove a feed")
    async def feed_remove(
        interaction: discord.Interaction,
        subscription: str,
        channel: discord.TextChannel | None = None,
    ) -> None:
        await interaction.response.send_message(f"removed {subscription}")

    @feed_remove.autocomplete("subscription")
    async def subscription_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        channel = interaction.namespace.channel
        prefix = f"#{channel.name} " if channel is not None else ""
        return [app_commands.Choice(name=prefix + f, value=f) for f in feeds if current in f]

    bot.tree.add_command(feed)

    @bot.tree.command(name="pick", description="Autocomplete edge cases")
    @app_commands.default_permissions(manage_guild=True)
    async def pick(
        interaction: discord.Interaction, count: int, label: str, many: str = "", slow: str = ""
    ) -> None:
        await interaction.response.send_message(f"picked {count} {label}")

    @pick.autocomplete("count")
    async def count_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if current == "bad":
            return [app_commands.Choice(name="bad", value="x")]  # type: ignore[arg-type]
        return [app_commands.Choice(name=f"{current!r} x{n}", value=n) for n in (1, 10)]

    @pick.autocomplete("many")
    async def many_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"n{n}", value=str(n)) for n in range(30)]

    @pick.autocomplete("slow")
    async def slow_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        await asyncio.sleep(0.6)
        return []

    async def setup_hook() -> None:
        bot.add_view(ConfirmView())

    async def before_identify_hook(shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every non-initial IDENTIFY (Discord takes one per 5 s);
        # the tests move the sandbox clock past that window instead (`advance_clock`).
        return None

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    bot.before_identify_hook = before_identify_hook  # type: ignore[method-assign]
    return bot


@dataclass
class RunningBot:
    """A sandbox with the test bot logged in and its commands synced."""

    sandbox: Sandbox
    bot: SandboxTestBot


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A running sandbox with no bot, checking bodies against Discord's OpenAPI schema."""
    async with Sandbox(port=0, openapi_spec=openapi_spec_folder()) as running:
        yield running


@contextlib.asynccontextmanager
async def bot_logged_in(sandbox: Sandbox, *, sync: bool = True) -> AsyncIterator[SandboxTestBot]:
    """Start the test bot against the sandbox; stop it afterwards."""
    bot = build_test_bot()
    with sandbox.patch_discord():
        task = asyncio.create_task(bot.start(sandbox.bot_token))
        try:
            await sandbox.wait_for_bot(timeout=START_TIMEOUT)
            async with asyncio.timeout(START_TIMEOUT):
                await bot.wait_until_ready()
            if sync:
                guild = discord.Object(id=sandbox.world.guild_id)
                bot.tree.copy_global_to(guild=guild)
                await bot.tree.sync(guild=guild)
                await sandbox.wait_for_commands(timeout=START_TIMEOUT)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await task


@pytest.fixture
async def running(sandbox: Sandbox) -> AsyncIterator[RunningBot]:
    """The sandbox with the test bot logged in and synced."""
    async with bot_logged_in(sandbox) as bot:
        yield RunningBot(sandbox, bot)


@pytest.fixture
async def raw(sandbox: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session carrying the bot token (ignores rate-limit headers)."""
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bot {sandbox.bot_token}"}
    ) as session:
        yield session
