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
