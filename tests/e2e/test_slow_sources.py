"""Discord's 3 s deadline against slow feeds, pages and a busy Discord: every command that
waits on the network acknowledges the interaction first, so none fails with 10062."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.sandbox.fake_discord import CommandOutcome, Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, rss
from tests.fixtures.http_servers import Route, RouteServer

SLOW_SECONDS = 4.0  # past Discord's 3 s for the first response
SEED_PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "seed_republished.html"
RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


async def test_every_command_waiting_on_the_network_is_acknowledged_in_time(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer, tmp_path: Path
) -> None:
    feed = feed_server.url(FEED_PATH)
    opml = tmp_path / "slow.opml"
    opml.write_text(
        "<opml version='2.0'><head><title>Slow</title></head><body>"
        f"<outline type='rss' text='Slow' xmlUrl='{feed_server.url('/other.xml')}'/>"
        "</body></opml>"
    )
    async with start_bot():
        await sandbox.run_command(f"/feed add url:{feed} channel:#news")
        for path, headers, body in (
            (FEED_PATH, RSS, rss(1, 2)),
            ("/other.xml", RSS, rss(3, title="Other News")),
            ("/site.html", HTML, f"<link rel='alternate' type='application/rss+xml' "
             f"href='{feed_server.url('/other.xml')}'>".encode()),
            ("/article.html", HTML, SEED_PAGE.read_bytes()),
        ):
            feed_server.routes[path] = Route(200, headers, body, delay_seconds=SLOW_SECONDS)
        sandbox.set_latency("POST /channels/{channel_id}/webhooks", SLOW_SECONDS)
        sandbox.set_latency("GET /webhooks/{webhook_id}/{webhook_token}", SLOW_SECONDS)

        lines = [
            "/feed enable subscription:1",
            "/feed webhook subscription:1 enabled:true",
            "/feed webhook subscription:1 enabled:true",  # checks the stored webhook still exists
            "/feed enable subscription:1",  # ... and so does enable, for a webhook subscription
            f"/feed add url:{feed_server.url('/site.html')} channel:#world",
            f"/feed import file:{opml} channel:#tech",
            f"/summarize url:{feed_server.url('/article.html')}",
        ]
        # The first four work on subscription 1 in turn (the second webhook line checks the
        # webhook the first made); the last three touch nothing of theirs or each other's, so
        # they run alongside: a third of the wall time of seven 4 s waits one after another.
        async def in_turn(turn: list[str]) -> list[CommandOutcome]:
            return [await sandbox.run_command(line, timeout=60) for line in turn]

        results = await asyncio.gather(
            in_turn(lines[:4]), *(in_turn([line]) for line in lines[4:])
        )
        outcomes = dict(zip(lines, [outcome for turn in results for outcome in turn],
                            strict=True))
    late = [line for line, outcome in outcomes.items() if outcome.timed_out]
    assert late == [], f"not acknowledged within 3 s: {late}"
    answers = {line: outcome.messages[-1].content for line, outcome in outcomes.items()}
    assert answers["/feed enable subscription:1"].startswith("Posting **Example News** in")
    assert "now posts in" in answers["/feed webhook subscription:1 enabled:true"]
    assert "Now following **Other News**" in answers[lines[4]]
    assert "1 added" in answers[lines[5]]
    assert "Kazakhstan" in answers[lines[6]]
