"""/feed why: what happened to an article in this server."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.http_servers import RouteServer


async def test_why_answers_for_posted_old_and_unknown_articles(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
        (post,) = sandbox.posts("news")

        # A tracking parameter and a trailing slash do not hide the article.
        posted = await sandbox.run_command(
            "/feed why url:https://news.example/story-3/?utm_source=x"
        )
        old = await sandbox.run_command("/feed why url:https://news.example/story-1")
        unknown = await sandbox.run_command("/feed why url:https://news.example/story-99")
        not_a_url = await sandbox.run_command("/feed why url:story-3")

    guild, channel = sandbox.world.guild_id, sandbox.world.channel_id("news")
    posted_text = sandbox.render_mentions(posted.messages[-1].content)
    assert posted_text.startswith("**Story 3: Mayor & council agree**")
    assert (
        f"Posted in #news from **Example News**: "
        f"https://discord.com/channels/{guild}/{channel}/{post.id}"
    ) in posted_text
    assert "it was already in **Example News** when the channel started following it" in (
        old.messages[-1].content
    )
    assert unknown.messages[-1].content.startswith(
        "Newsdesk has not seen <https://news.example/story-99> in any feed this server follows."
    )
    assert not_a_url.messages[-1].content == (
        "Give the article's full web address, starting with https://."
    )


async def test_why_finds_a_posted_article_asked_with_the_address_readers_copy(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    tracked = rss(1, 2).replace(
        b"https://news.example/story-2<", b"https://news.example/story-2?at_medium=RSS&amp;"
        b"at_campaign=rss&amp;utm_source=feed&amp;pk_campaign=x<",
    )
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, tracked)
        await poll_and_deliver(bot)
        (post,) = sandbox.posts("news")
        clean = await sandbox.run_command("/feed why url:https://www.news.example/story-2")

    assert post.embeds[0]["url"].endswith("?at_medium=RSS&at_campaign=rss&utm_source=feed"
                                           "&pk_campaign=x")
    assert sandbox.render_mentions(clean.messages[-1].content).startswith(
        "**Story 2: Mayor & council agree**\nPosted in #news from **Example News**: "
    )
