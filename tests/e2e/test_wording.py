"""Replies read well: one pluralisation, the right nouns, and the reason behind a number."""

from __future__ import annotations

from bot.sandbox.fake_discord import CommandOutcome, Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, rss
from tests.fixtures.http_servers import RouteServer


async def test_feed_replies_count_in_words_and_say_which_subscription_sets_the_interval(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1))
    url = feed_server.url(FEED_PATH)
    async with start_bot():
        one = await sandbox.run_command(f"/feed add url:{url} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2))
        backfilled = await sandbox.run_command(f"/feed add url:{url} channel:#world backfill:1")
        everyone = await sandbox.run_command("/feed ping subscription:1 role:@everyone")
        fast = await sandbox.run_command("/feed interval subscription:1 minutes:10")
        slow = await sandbox.run_command("/feed interval subscription:2 minutes:30")

    def said(outcome: CommandOutcome) -> str:
        return sandbox.render_mentions(outcome.messages[-1].content)

    assert "The item already in the feed will not be posted;" in said(one)
    assert (
        "The latest item will be posted there now; the other 1 item already in the feed will "
        "not." in said(backfilled)
    )
    assert said(everyone) == (
        "Newsdesk never pings @everyone. Choose a role for this subscription."
    )
    assert said(fast) == (
        "Subscription #1 asks for **Example News** every 10 minutes; the feed is now checked "
        "every 10 minutes."
    )
    assert said(slow) == (
        "Subscription #2 asks for **Example News** every 30 minutes; the feed is checked every "
        "10 minutes all the same, because subscription #1 of this server asks for it (a feed "
        "is checked at the shortest interval asked)."
    )


async def test_adding_a_feed_cut_off_before_its_end_says_so(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    whole = rss(1, 2, 3)
    feed_server.set_body(FEED_PATH, whole[: whole.index(b"<item><title>Story 1")])
    async with start_bot():
        added = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news"
        )
    assert (
        "⚠️ The feed's document is cut off before its end: Newsdesk read the 2 items before the "
        "cut." in added.messages[-1].content
    )
