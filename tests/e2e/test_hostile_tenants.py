"""Lower findings of issue 13, end to end: what a hostile admin, member or feed publisher
could do through a reply, a button or a long command."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, fast_and_slow_opml, poll_and_deliver, rss
from tests.fixtures.http_servers import Route, RouteServer
from tests.waiting import eventually

RSS = {"Content-Type": "application/rss+xml"}
MASKED = "[Free Nitro](https://evil.example/claim)"


async def test_save_checks_manage_server_again_when_pressed(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        preview = await sandbox.run_command(
            '/feed template subscription:1 template:"📰 {title}"'
        )
        shown = preview.messages[-1]
        save = next(b for b in shown.components[0]["components"] if b["label"] == "Save")
        # The admin's role (and with it Manage Server) is taken away before they press Save.
        sandbox.delete_role("admin")
        pressed = await sandbox.click(shown.id, save["custom_id"])
        assert pressed.messages[-1].content == (
            "You no longer have the Manage Server permission here, so nothing was changed: "
            "ask a server admin."
        )
        assert pressed.messages[-1].ephemeral
        guild_id = sandbox.world.guild_id
        assert await bot.services.subscriptions.template_of(guild_id, 1) is None


async def test_search_finds_words_not_the_index_own_feed_tokens(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)
        token = await sandbox.run_command("/search query:f1", user="member")
        words = await sandbox.run_command("/search query:mayor", user="member")
    assert token.messages[-1].content == "Nothing in this server's feeds matches **f1**."
    assert words.messages[-1].content.startswith("**4** articles match **mayor**")


async def test_a_feed_title_cannot_put_a_masked_link_in_search_replies(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/nitro.xml"] = Route(200, RSS, rss(1, title=MASKED))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url('/nitro.xml')} channel:#news")
        feed_server.set_body("/nitro.xml", rss(1, 2, title=MASKED))
        await poll_and_deliver(bot)
        found = await sandbox.run_command("/search query:mayor", user="member")
    reply = found.messages[-1].content
    assert MASKED not in reply
    assert r"\[Free Nitro\]\(https://evil.example/claim\)" in reply


async def test_an_import_longer_than_the_interaction_reports_in_its_channel(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, tmp_path: Path
) -> None:
    opml, release = fast_and_slow_opml(feed_server, tmp_path / "long.opml")
    async with start_bot() as bot:
        started = await sandbox.run_command(f"/feed import file:{opml} channel:#world")
        assert started.messages[-1].content == "Importing… 1 of 2"
        sandbox.advance_clock(16 * 60)  # the interaction's token is gone
        release.set()
        assert await bot.commands_finished(30)
        posted = await eventually(lambda: sandbox.posts("world"))
    (report,) = posted
    admin = sandbox.world.user_id("admin")
    assert report.content.startswith(f"<@{admin}> Imported long.opml into <#")
    assert "2 added, 0 skipped, 0 failed" in report.content
    assert report.allowed_mentions is not None
    assert [int(user) for user in report.allowed_mentions["users"]] == [admin]
    ((name, listing),) = report.attachments
    assert name == "import-report.txt"
    assert feed_server.url("/slow.xml") in listing.decode()
