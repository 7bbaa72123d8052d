"""Server isolation for follows, filters, templates, digests, search, quotes and trends.

Server A follows a topic with a filter, gives its subscription a template and schedules a
digest; server B's admin then tries every such command with A's numbers. B is told A's
numbers do not exist, sees nothing of A in any reply, and A's rows stay byte-for-byte the
same.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.fake_discord import Sandbox
from tests.fixtures.bot_storage import bot_rows
from tests.fixtures.http_servers import RouteServer
from tests.hardening.conftest import BotStarter
from tests.hardening.test_isolation import (
    a_secrets,
    answered,
    assert_nothing_of_a,
    set_up_server_a,
    set_up_server_b,
)

TABLES = ("follows", "filters", "digests", "subscriptions")


async def rows_of(bot: Any, guild_id: int) -> dict[str, list[tuple[object, ...]]]:
    """Every column of a server's rows in the per-server tables."""
    found: dict[str, list[tuple[object, ...]]] = {}
    for table in TABLES:
        rows = await bot_rows(
            bot, f"SELECT * FROM {table} WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        found[table] = [tuple(row) for row in rows]
    return found


async def test_server_b_cannot_reach_a_topics_filters_templates_or_digests(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    async with start_bot() as bot:
        a_sub, _post = await set_up_server_a(sandbox, server, bot)
        for line in (
            "/follow add topic:Wreczycki kind:person channel:#world",
            "/filter add target:follow number:1 action:exclude match:word pattern:herons",
            f"/filter add target:subscription number:{a_sub} action:exclude match:word "
            "pattern:anglers",
            f'/feed template subscription:{a_sub} template:"Alpha says {{title}}"',
            "/digest schedule channel:#news frequency:daily time:07:00 timezone:Europe/Oslo",
        ):
            assert answered(await sandbox.run_command(line))
        a_id = sandbox.world.guild_id
        b_guild = await set_up_server_b(sandbox, server, bot)
        secrets = [*a_secrets(server, sandbox, a_sub), "Wreczycki", "herons", "anglers",
                   "Alpha says", "Europe/Oslo"]
        before = await rows_of(bot, a_id)

        def b_run(line: str) -> Any:
            return sandbox.run_command(line, guild=b_guild.name)

        refusals = {
            "/follow remove follow:1": "This server has no follow #1.",
            "/filter add target:follow number:1 action:include match:word pattern:x":
                "This server has no follow #1.",
            "/filter remove rule:1": "This server has no filter #1.",
            "/filter remove rule:2": "This server has no filter #2.",
            f"/filter list target:subscription number:{a_sub}":
                f"This server has no subscription #{a_sub}.",
            f"/filter test target:subscription number:{a_sub}":
                f"This server has no subscription #{a_sub}.",
            f"/filter mode target:subscription number:{a_sub} mode:any":
                f"This server has no subscription #{a_sub}.",
            f"/feed template subscription:{a_sub}": f"This server has no subscription #{a_sub}.",
            f"/feed template subscription:{a_sub} clear:true":
                f"This server has no subscription #{a_sub}.",
            f"/feed ping subscription:{a_sub} clear:true":
                f"This server has no subscription #{a_sub}.",
            f"/feed webhook subscription:{a_sub} enabled:false":
                f"This server has no subscription #{a_sub}.",
            f"/feed tag subscription:{a_sub}": f"This server has no subscription #{a_sub}.",
        }
        for line, refusal in refusals.items():
            text = answered(await b_run(line))
            assert refusal in text, (line, text)
            assert_nothing_of_a(text, secrets, line)

        for line, typed in (
            ("/follow list", ""), ("/digest list", ""), ("/digest now days:30", ""),
            ('/search query:"floating"', "floating"), ('/quotes who:"Wreczycki"', "Wreczycki"),
            ("/trend term:solar", "solar"),
        ):
            text = answered(await b_run(line))
            # Echoing back what B typed is fine; anything else of A is not.
            text = text.replace(typed, "<typed>") if typed else text
            assert_nothing_of_a(text, secrets, line)
        assert "no topics" in answered(await b_run("/follow list"))

        after = await rows_of(bot, a_id)
    assert after == before
    assert all(before[table] for table in TABLES)  # A really had something to protect
