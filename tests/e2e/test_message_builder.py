"""The message builder of ``/feed template``, end to end through the sandbox."""

from __future__ import annotations

from bot.sandbox.fake_discord import RecordedMessage, Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.bot_storage import bot_rows
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


async def test_embed_styles_and_colour_per_subscription(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        refused = await sandbox.run_command("/feed embed subscription:1 colour:orange")
        assert refused.messages[-1].content.startswith(
            "Write the colour as six hex digits, like #e67e22"
        )
        compact = await sandbox.run_command(
            "/feed embed subscription:1 style:compact colour:#E67E22"
        )
        assert compact.messages[-1].content == (
            "Subscription #1 (**Example News**) now shows a compact embed (the linked title "
            "alone), coloured #e67e22. Preview it with /feed template."
        )
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
        (compact_post,) = sandbox.posts("news")
        (embed,) = compact_post.embeds
        # The linked title alone: no source line, summary, image, footer or date.
        assert {key: value for key, value in embed.items() if key != "flags"} == {
            "type": "rich", "title": "Story 3: Mayor & council agree",
            "url": "https://news.example/story-3", "color": 0xE67E22,
        }

        off = await sandbox.run_command("/feed embed subscription:1 style:off")
        assert "now shows no embed" in off.messages[-1].content
        preview = await sandbox.run_command(
            '/feed template subscription:1 template:"{title}[[ — {author}]]: {url}"'
        )
        shown = preview.messages[-1]
        # The preview is the post: no embed either.
        assert shown.embeds == []
        assert shown.content.endswith(
            "Story 3: Mayor & council agree: https://news.example/story-3"
        )
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)
        shown_now = await sandbox.run_command("/feed embed subscription:1")
        assert "(**Example News**) shows no embed" in shown_now.messages[-1].content
    _, text_only = sandbox.posts("news")
    # Without a template, a post with no embed still names and links its article.
    assert text_only.embeds == []
    assert text_only.content == "**Story 4: Mayor & council agree**\nhttps://news.example/story-4"


def _component(message: RecordedMessage, *, label: str | None = None, kind: int = 2) -> str:
    """The custom id of the button labelled ``label`` (or of the menu) on ``message``."""
    for row in message.components:
        for component in row["components"]:
            if component["type"] == kind and (label is None or component.get("label") == label):
                return str(component["custom_id"])
    raise AssertionError(f"no component {label!r} on {message.components}")


async def test_a_ready_template_from_the_menu_and_a_test_post(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        tools = (await sandbox.run_command("/feed template subscription:1")).messages[-1]
        menu = next(
            component for row in tools.components for component in row["components"]
            if component["type"] == 3
        )
        assert [option["label"] for option in menu["options"]] == [
            "Headline", "Byline and date", "Summary as text", "Link for the preview",
        ]
        stranger = await sandbox.click(tools.id, menu["custom_id"], values=["0"], user="member")
        assert "Only the person who ran /feed template" in stranger.messages[-1].content
        chosen = await sandbox.click(tools.id, menu["custom_id"], values=["0"])
        preview = chosen.messages[-1]
        assert preview.content == (
            "**Preview** (press Save to use it for #1):\n"
            "📰 **Story 2: Mayor & council agree** — Example News"
        )
        saved = await sandbox.click(preview.id, _component(preview, label="Save"))
        assert saved.messages[-1].content == "Saved the template of subscription #1."

        tested = await sandbox.click(tools.id, _component(tools, label="Send a test post"))
        assert tested.messages[-1].content.startswith(
            "Posted a test post of **Story 2: Mayor & council agree** in <#"
        )
        (test_post,) = sandbox.posts("news")
        # Exactly the post the preview showed, marked as a test, pinging no one.
        assert test_post.content == (
            "Test post:\n📰 **Story 2: Mayor & council agree** — Example News"
        )
        assert test_post.embeds[0]["title"] == "Story 2: Mayor & council agree"
        assert test_post.embeds[0]["color"] == preview.embeds[0]["color"]
        assert test_post.allowed_mentions == {"parse": []}
        assert await bot_rows(bot, "SELECT id FROM outbox") == []

        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
        assert len(await bot_rows(bot, "SELECT id FROM outbox")) == 1
    _, real = sandbox.posts("news")
    assert real.content == "📰 **Story 3: Mayor & council agree** — Example News"


def _rich_rss(feed_url: str) -> bytes:
    """A feed whose newest item has categories and an image, and an older one with neither."""
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour Wire</title>"
        f"<link>https://harbour.example/</link><description>{feed_url}</description>"
        "<item><title>Budget passes</title><link>https://harbour.example/budget</link>"
        "<guid>budget</guid><category>Politics</category><category>Harbour &amp; Port"
        "</category><category>politics</category>"
        "<enclosure url='https://harbour.example/budget.jpg' type='image/jpeg' length='1'/>"
        "</item>"
        "<item><title>Ferry late</title><link>https://harbour.example/ferry</link>"
        "<guid>ferry</guid></item></channel></rss>"
    ).encode()


async def test_image_categories_and_raw_feed_fields(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_url = feed_server.url(FEED_PATH)
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_url} channel:#news")
        for attack in ("{feed.__class__}", "{feed.title.__class__}", "{title[0]}", "{0}"):
            refused = await sandbox.run_command(
                f'/feed template subscription:1 template:"{attack}"'
            )
            assert refused.messages[-1].content.startswith(f"{attack} is not a placeholder.")
        await sandbox.run_command("/feed embed subscription:1 style:off")
        await _save(
            sandbox, '/feed template subscription:1 template:"{title}[[ · {categories}]] — '
            '{feed.title} <{feed.url}> <{feed.link}>[[ {image}]]"',
        )
        feed_server.set_body(FEED_PATH, _rich_rss(feed_url))
        await poll_and_deliver(bot)
    ferry, budget = sandbox.posts("news")
    assert budget.content == (
        f"Budget passes · Politics, Harbour & Port — Harbour Wire <{feed_url}> "
        "<https://harbour.example/> https://harbour.example/budget.jpg"
    )
    assert ferry.content == (
        f"Ferry late — Harbour Wire <{feed_url}> <https://harbour.example/>"
    )
