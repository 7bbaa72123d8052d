"""The contract suite's one bot: the real bot in the strict sandbox, shared by a module.

The sandbox runs with every refusal rule and Discord's OpenAPI request-schema check on, and
keeps every request it refuses (``Sandbox.refused_requests``). After each test the
``nothing_refused`` check fails it if the sandbox refused anything meanwhile, met an unknown
route, or a command got no answer in time. Sharing one bot keeps the suite fast; each test
sets up what it needs (its own feeds, channels and subscriptions).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio

from bot.app.settings import Settings
from bot.discord_io.client import NewsdeskBot
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import CommandOutcome, RecordedMessage, Sandbox, SandboxWorld
from tests.e2e.conftest import FAST_TIMINGS
from tests.fixtures.discord_spec import describe_schema_refusals, openapi_spec_folder
from tests.fixtures.http_servers import RouteServer, serve_routes


@dataclass
class Contract:
    """The shared bot, its sandbox and a page/feed server, plus what the tests ran."""

    sandbox: Sandbox
    bot: NewsdeskBot
    server: RouteServer
    commands_run: set[str] = field(default_factory=set)
    silent: list[str] = field(default_factory=list)

    async def run(self, line: str, *, user: str = "admin", **options: object) -> CommandOutcome:
        """Run a command that must reach the bot and be answered in time."""
        outcome = await self.sandbox.run_command(line, user=user, **options)  # type: ignore[arg-type]
        self.commands_run.add(command_path(line))
        if outcome.refused is not None or outcome.timed_out or not outcome.messages:
            self.silent.append(f"{line!r}: {outcome}")
        return outcome

    async def click(
        self, message: RecordedMessage, custom_id: str, *, values: list[str] | None = None,
        user: str = "admin",
    ) -> CommandOutcome:
        """Click a component that must be answered in time."""
        outcome = await self.sandbox.click(message.id, custom_id, values=values, user=user)
        if outcome.timed_out:
            self.silent.append(f"click {custom_id!r}: {outcome}")
        return outcome

    async def subscription_id(self, feed_url: str, channel: str) -> int:
        """The number of this server's subscription of ``feed_url`` in ``channel``."""
        channel_id = self.sandbox.world.channel_id(channel)
        summaries = await self.bot.services.subscriptions.list_subscriptions(
            self.sandbox.world.guild_id
        )
        (found,) = [
            s.subscription.id for s in summaries
            if s.feed_url == feed_url and s.subscription.channel_id == channel_id
        ]
        return found


def command_path(line: str) -> str:
    """``/feed add url:…`` → ``feed add`` (the words before the first option)."""
    words = line.removeprefix("/").split()
    return " ".join(word for word in words[:2] if ":" not in word)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def contract(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Contract]:
    spec = openapi_spec_folder()
    if spec is None:
        pytest.skip("Discord's OpenAPI description (../shared/data/discord-api-spec) is absent")
    folder = tmp_path_factory.mktemp("contract")
    settings = Settings(
        database_path=folder / "newsdesk.sqlite3",
        scheduler_tick_seconds=3600.0,
        default_interval_seconds=3600,
    )
    world = SandboxWorld.default()
    world.app_owner_id = world.primary.owner_id  # so the server's owner may run /sync
    async with (
        Sandbox(world=world, openapi_spec=spec) as sandbox,
        serve_routes({}) as server,
        bot_in_sandbox(sandbox, settings, timings=FAST_TIMINGS) as bot,
    ):
        yield Contract(sandbox, bot, server)


@pytest_asyncio.fixture(loop_scope="module", autouse=True)
async def nothing_refused(contract: Contract) -> AsyncIterator[None]:
    """Fail the test if, while it ran, the sandbox refused anything (or a command went
    unanswered): every 4xx the bot caused is a request real Discord would have refused."""
    sandbox = contract.sandbox
    refused_before = len(sandbox.refused_requests)
    unknown_before = len(sandbox.state.unknown_routes)
    contract.silent.clear()
    yield
    await contract.bot.settle([], 10.0)
    refused = [r.describe() for r in sandbox.refused_requests[refused_before:]]
    unknown = sandbox.state.unknown_routes[unknown_before:]
    schema = describe_schema_refusals(sandbox)
    assert not refused, "Discord would have refused:\n" + "\n".join(refused) + f"\n{schema}"
    assert not unknown, f"routes the sandbox does not know: {unknown}"
    assert not contract.silent, "unanswered: " + "\n".join(contract.silent)
