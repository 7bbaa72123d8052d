"""/feed import and /feed export through the sandbox: an OPML round trip."""

from __future__ import annotations

from pathlib import Path

from bot.features.feeds.opml import read_opml
from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import BotStarter, last_edit, rss
from tests.fixtures.http_servers import Route, RouteServer

RSS = {"Content-Type": "application/rss+xml"}


async def test_import_then_export_round_trips(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, tmp_path: Path
) -> None:
    feed_server.routes["/a.xml"] = Route(200, RSS, rss(1, title="Alpha"))
    feed_server.routes["/b.xml"] = Route(200, RSS, rss(2, title="Beta"))
    outlines = "".join(
        f'<outline text="{name}" xmlUrl="{feed_server.url(path)}"/>'
        for name, path in [("Alpha", "/a.xml"), ("Beta", "/b.xml"), ("Gone", "/gone.xml")]
    )
    opml_file = tmp_path / "mine.opml"
    opml_file.write_text(
        f"<opml version='2.0'><head><title>Mine</title></head><body>{outlines}</body></opml>"
    )
    async with start_bot() as bot:
        imported = await sandbox.run_command(f"/feed import file:{opml_file} channel:#world")
        # The answer comes with the first progress message; the report once the import ends.
        assert await bot.commands_finished(60)
        final = last_edit(sandbox, imported.messages[-1].id)
        assert sandbox.render_mentions(final.content).startswith(
            "Imported mine.opml into #world: 2 added, 0 skipped, 1 failed."
        )
        ((report_name, report),) = final.attachments
        assert report_name == "import-report.txt"
        assert f"failed: {feed_server.url('/gone.xml')}" in report.decode()

        again = await sandbox.run_command(f"/feed import file:{opml_file} channel:#world")
        assert await bot.commands_finished(60)
        assert "0 added, 2 skipped, 1 failed" in last_edit(sandbox, again.messages[-1].id).content

        exported = await sandbox.run_command("/feed export")
    ((name, document),) = exported.messages[-1].attachments
    assert name == "newsdesk-feeds.opml"
    feeds = read_opml(document)
    assert sorted((feed.url, feed.title, feed.category) for feed in feeds) == [
        (feed_server.url("/a.xml"), "Alpha", "#world"),
        (feed_server.url("/b.xml"), "Beta", "#world"),
    ]


async def test_a_file_that_is_not_opml_gets_a_clear_sentence(
    sandbox: Sandbox, start_bot: BotStarter, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes")
    async with start_bot():
        outcome = await sandbox.run_command(f"/feed import file:{bad} channel:#news")
    assert outcome.messages[-1].content.startswith("That file is not readable OPML")


async def test_import_reports_outlines_without_a_feed_address_and_keeps_titles_and_folders(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes["/a.xml"] = Route(200, RSS, rss(1, title="Alpha"))
    feed_server.routes["/site-feed.xml"] = Route(200, RSS, rss(2, title="Site News"))
    feed_server.routes["/site.html"] = Route(
        200, {"Content-Type": "text/html"},
        f"<html><head><link rel='alternate' type='application/rss+xml' "
        f"href='{feed_server.url('/site-feed.xml')}'></head><body>Hi</body></html>".encode(),
    )
    opml = (
        "<opml version='2.0'><body><outline text='Tech'>"
        f"<outline text='My Alpha' xmlUrl='{feed_server.url('/a.xml')}'/>"
        f"<outline text='Only a site' htmlUrl='{feed_server.url('/site.html')}'/>"
        "<outline text='Lost feed'/>"
        "</outline></body></opml>"
    ).encode()
    async with start_bot():
        imported = await sandbox.run_command(
            "/feed import channel:#world", files={"file": ("mine.opml", opml)}
        )
    final = imported.messages[-1]
    assert "2 added, 0 skipped, 1 failed" in final.content
    ((_, report),) = final.attachments
    lines = report.decode().splitlines()
    assert lines == [
        f"added: {feed_server.url('/a.xml')} — Alpha · listed as “My Alpha” in folder “Tech”",
        f"added: {feed_server.url('/site.html')} — Site News (found on its site: the outline "
        "had no xmlUrl) · listed as “Only a site” in folder “Tech”",
        "failed: Lost feed — the outline gives no address (no xmlUrl or htmlUrl)",
    ]
