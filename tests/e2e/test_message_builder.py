"""The message builder of ``/feed template``, end to end through the sandbox."""

from __future__ import annotations

from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.http_servers import RouteServer


async def _save(sandbox: Sandbox, command: str) -> None:
    """Run a /feed template command and press Save on its preview."""
    preview = (await sandbox.run_command(command)).messages[-1]
    save = next(
        button for button in preview.components[0]["components"] if button["label"] == "Save"
    )
    saved = await sandbox.click(preview.id, save["custom_id"])
    assert saved.messages[-1].content.startswith("Saved the template of subscription #1.")


async def test_conditional_sections_and_a_summary_shown_once(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    template = "📰 {title}[[ (by {author}, {source})]] — {summary}"
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        preview = await sandbox.run_command(
            f'/feed template subscription:1 template:"{template}"'
        )
        shown = preview.messages[-1]
        # The feed's items have no author: the section disappears whole, never "(by , …)".
        assert "📰 Story 2: Mayor & council agree — Paragraph for story 2." in shown.content
        assert "(by" not in shown.content and "[[" not in shown.content
        assert "description" not in shown.embeds[0]
        await _save(sandbox, f'/feed template subscription:1 template:"{template}"')

        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
    (post,) = sandbox.posts("news")
    assert post.content == (
        "📰 Story 3: Mayor & council agree — Paragraph for story 3. It has two sentences."
    )
    # The post shows the summary once: in its text, not again in the embed.
    assert "description" not in post.embeds[0]
    assert post.embeds[0]["title"] == "Story 3: Mayor & council agree"


async def test_a_section_with_values_is_shown_and_broken_sections_are_refused(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        unclosed = await sandbox.run_command(
            '/feed template subscription:1 template:"{title} [[by {author}"'
        )
        assert unclosed.messages[-1].content.startswith("The template has a [[ without its ]].")
        nested = await sandbox.run_command(
            '/feed template subscription:1 template:"[[a [[{author}]] ]]"'
        )
        assert nested.messages[-1].content.startswith("Sections cannot be nested")
        await _save(sandbox, '/feed template subscription:1 template:"{title}[[ — {source}]]"')
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
    (post,) = sandbox.posts("news")
    assert post.content == "Story 3: Mayor & council agree — Example News"
    # A template without {summary} leaves the embed's summary where it was.
    assert post.embeds[0]["description"] == "Paragraph for story 3. It has two sentences."
