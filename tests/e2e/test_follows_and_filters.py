"""Follows and filters end to end: topics across feeds, role pings, include/exclude rules."""

from __future__ import annotations

from xml.sax.saxutils import escape

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer

ITEMS = {
    "csto": (
        "Troops leave Almaty",
        "Forces of the Collective Security Treaty Organization (CSTO) left Kazakhstan on "
        "Wednesday after the protests, the bloc said.",
    ),
    "sport": ("Sport: local team wins the cup", "The team won the regional cup on Sunday."),
    "bridge": ("New bridge opens", "The city opened a new cycling bridge over the river."),
    "csto-again": (
        "CSTO meets in Moscow",
        "The CSTO held a summit in Moscow, where leaders discussed the bloc's future.",
    ),
}


def feed(*keys: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(ITEMS[key][0])}</title><link>https://news.example/{key}</link>"
        f"<guid>{key}</guid><description>{escape(ITEMS[key][1])}</description></item>"
        for key in keys
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


@on_both_engines
async def test_a_follow_posts_only_matches_and_pings_its_role_only_for_them(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, feed())
    role_id = sandbox.world.role_id("asia-desk")
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        added = await sandbox.run_command(
            "/follow add topic:CSTO kind:organization channel:#world role:@asia-desk"
        )
        assert sandbox.render_mentions(added.messages[-1].content).startswith(
            "Now following: `#1` organisation **CSTO** → #world · pings @asia-desk · all feeds"
        )
        feed_server.set_body(FEED_PATH, feed("csto", "sport", "bridge"))
        await poll_and_deliver(bot)
        listed = await sandbox.run_command("/follow list")

    world = sandbox.posts("world")
    assert [post.embeds[0]["title"] for post in world] == ["Troops leave Almaty"]
    assert world[0].content == f"<@&{role_id}>"
    assert world[0].allowed_mentions == {"parse": [], "roles": [role_id]}
    news = sandbox.posts("news")
    assert len(news) == 3 and all(post.content == "" for post in news)
    assert all(post.allowed_mentions == {"parse": []} for post in news)
    assert "organisation **CSTO**" in listed.messages[-1].content


@on_both_engines
async def test_an_exclude_filter_skips_and_why_says_so(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, feed())
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        added = await sandbox.run_command(
            "/filter add target:subscription number:1 action:exclude match:word pattern:sport"
        )
        assert added.messages[-1].content.startswith(
            'Added filter `#1` to subscription #1: exclude any word "sport".'
        )
        feed_server.set_body(FEED_PATH, feed("sport", "bridge"))
        await poll_and_deliver(bot)
        why = await sandbox.run_command("/feed why url:https://news.example/sport")
        preview = await sandbox.run_command("/filter test target:subscription number:1")
        listed = await sandbox.run_command("/filter list target:subscription number:1")

    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == ["New bridge opens"]
    assert 'Not posted in' in why.messages[-1].content
    assert 'filtered: excluded by exclude any word "sport"' in why.messages[-1].content
    text = preview.messages[-1].content
    assert "Of the last 2 articles, 1 would be posted by subscription #1:" in text
    assert '❌ Sport: local team wins the cup — excluded by exclude any word "sport"' in text
    assert '`#1` exclude any word "sport"' in listed.messages[-1].content


async def test_a_pathological_regex_is_answered(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    slow_title = "a" * 60 + "!"
    body = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<item><title>{slow_title}</title><link>https://news.example/a</link><guid>a</guid>"
        "</item></channel></rss>"
    ).encode()
    feed_server.set_body(FEED_PATH, body)
    async with start_bot():
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await sandbox.run_command(
            "/filter add target:subscription number:1 action:include match:regex "
            'pattern:"^(a|aa|aaa)+$" field:title'
        )
        # A backtracking engine would take about 1.8^60 steps here (the run's timeout ends
        # the test); RE2 answers in linear time. How fast is the noisy-neighbour bench's job.
        preview = await sandbox.run_command("/filter test target:subscription number:1")
        bad = await sandbox.run_command(
            "/filter add target:subscription number:1 action:include match:regex pattern:(("
        )
    assert not preview.timed_out
    assert "Of the last 1 article, 0 would be posted" in preview.messages[-1].content
    assert bad.messages[-1].content.startswith("That regular expression is not valid")


@on_both_engines
async def test_filters_and_follows_of_another_server_are_refused(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot():
        missing = await sandbox.run_command(
            "/filter add target:follow number:99 action:include match:word pattern:x"
        )
        removed = await sandbox.run_command("/follow remove follow:99")
        member = await sandbox.run_command("/follow add topic:CSTO", user="member")
    assert missing.messages[-1].content == (
        "This server has no follow #99. Use /follow list to see them."
    )
    assert removed.messages[-1].content.startswith("This server has no follow #99.")
    assert member.refused is not None



async def test_regex_filters_that_could_stall_the_bot_are_refused_at_once(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, feed("bridge"))
    async with start_bot():
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        nested = await sandbox.run_command(
            "/filter add target:subscription number:1 action:include match:regex "
            "pattern:(?:(?:(?:a{100}){100}){100}){100}"
        )
        lookahead = await sandbox.run_command(
            "/filter add target:subscription number:1 action:exclude match:regex "
            'pattern:"(.*)*(?!)"'
        )
        kept = await sandbox.run_command(
            "/filter add target:subscription number:1 action:include match:regex "
            'pattern:"\\bBRIDGE\\b"'
        )
        preview = await sandbox.run_command("/filter test target:subscription number:1")
    assert not nested.timed_out
    assert nested.messages[-1].content.startswith("That pattern repeats too much")
    assert lookahead.messages[-1].content.startswith(
        "Filters cannot use look-ahead `(?=…)`/`(?!…)`: Newsdesk runs filter patterns on a "
        "linear-time engine (RE2)."
    )
    assert kept.messages[-1].content.startswith("Added filter `#1` to subscription #1")
    assert "Of the last 1 article, 1 would be posted" in preview.messages[-1].content


@on_both_engines
async def test_adding_a_follow_again_without_a_role_keeps_its_ping_until_cleared(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, feed())
    role_id = sandbox.world.role_id("asia-desk")
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await sandbox.run_command("/follow add topic:CSTO channel:#world role:@asia-desk")
        again = await sandbox.run_command("/follow add topic:CSTO channel:#world")
        feed_server.set_body(FEED_PATH, feed("csto"))
        await poll_and_deliver(bot)
        cleared = await sandbox.run_command("/follow add topic:CSTO channel:#world clear_role:true")
        feed_server.set_body(FEED_PATH, feed("csto", "csto-again"))
        await poll_and_deliver(bot)

    assert sandbox.render_mentions(again.messages[-1].content) == (
        "Updated: `#1` keyword **CSTO** → #world · pings @asia-desk · all feeds\n"
        "It still pings @asia-desk; add it again with clear_role:true to stop."
    )
    assert sandbox.render_mentions(cleared.messages[-1].content) == (
        "Updated: `#1` keyword **CSTO** → #world · all feeds\nIt pings no role any more."
    )
    first, second = sandbox.posts("world")
    assert first.content == f"<@&{role_id}>" and second.content == ""
