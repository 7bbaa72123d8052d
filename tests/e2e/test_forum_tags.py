"""Forum posts carry a tag, so a forum that requires one (Discord: 40067) takes every post."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer

OTHER_PATH = "/other.xml"


def other(*numbers: int) -> bytes:
    """Another feed, with articles of its own (not copies of the first feed's)."""
    return (
        rss(*numbers, title="Other Wire")
        .replace(b"story-", b"other-").replace(b"Story ", b"Other ")
        .replace(b"Mayor & council agree", b"Harbour opens")
        .replace(b"Mayor &amp; council agree", b"Harbour opens")
    )


@on_both_engines
async def test_posts_in_a_forum_requiring_tags_carry_the_chosen_or_default_tag(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    news, analysis, example = sandbox.set_forum_tags(
        "forum-news", ["News", "Analysis", "example NEWS"], require_tag=True
    )
    feed_server.set_body(OTHER_PATH, other(1, 2))
    async with start_bot() as bot:
        named = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#forum-news"
        )
        chosen = await sandbox.run_command(
            f"/feed add url:{feed_server.url(OTHER_PATH)} channel:#forum-news tag:analysis"
        )
        unknown = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#forum-news tag:Sport"
        )
        not_a_forum = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news tag:News"
        )
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        feed_server.set_body(OTHER_PATH, other(1, 2, 3))
        await poll_and_deliver(bot)
        changed = await sandbox.run_command("/feed tag subscription:1 tag:News")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        feed_server.set_body(OTHER_PATH, other(1, 2, 3, 4))
        await poll_and_deliver(bot)
        back = await sandbox.run_command("/feed tag subscription:1")

    assert "Posts in <#" in named.messages[-1].content
    assert named.messages[-1].content.endswith("carry the tag **example NEWS**.")
    assert chosen.messages[-1].content.endswith("carry the tag **Analysis**.")
    assert unknown.messages[-1].content.startswith("<#")
    assert "has no tag called **Sport**. Its tags: **News**, **Analysis**" in (
        unknown.messages[-1].content
    )
    assert not_a_forum.messages[-1].content.startswith("Tags are for forum channels")
    assert changed.messages[-1].content.endswith("carry the tag **News**.")
    assert back.messages[-1].content.endswith("carry the tag **example NEWS**.")
    tagged = [(thread.name[:7], thread.applied_tags) for thread in sandbox.threads("forum-news")]
    assert sorted(tagged) == sorted([
        ("Story 3", (example.id,)),  # named like the feed ("Example News")
        ("Other 3", (analysis.id,)),  # chosen with /feed add tag:
        ("Story 4", (news.id,)),  # chosen with /feed tag
        ("Other 4", (analysis.id,)),
    ])
    assert not [m for m in sandbox.messages if "40067" in m.content]
