"""Broken destinations and hostile feed text, end to end."""

from __future__ import annotations

import discord

from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord.permissions import SEND_MESSAGES
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer
from tests.waiting import eventually


@on_both_engines
async def test_a_403_disables_the_subscription_and_tells_admins_which_permission(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
        sandbox.set_channel_overwrite("news", "role:Newsdesk", deny=SEND_MESSAGES)
        news = bot.get_channel(sandbox.world.channel_id("news"))
        assert isinstance(news, discord.TextChannel)
        await eventually(
            lambda: not news.permissions_for(news.guild.me).send_messages,
            message="the CHANNEL_UPDATE reached the bot's cache",
        )
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)

        (notice,) = sandbox.posts("general")
        assert "Newsdesk stopped posting **Example News** in" in notice.content
        assert "it lacks Send Messages" in notice.content
        assert f"/feed enable subscription:{view.subscription.id}" in notice.content
        assert notice.allowed_mentions == {"parse": []}
        listed = await sandbox.run_command("/feed list")
        assert "disabled: it lacks Send Messages" in listed.messages[-1].content

        # Nothing more is tried while it is disabled.
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5))
        assert await poll_and_deliver(bot) == []

        sandbox.set_channel_overwrite("news", "role:Newsdesk")
        enabled = await sandbox.run_command(f"/feed enable subscription:{view.subscription.id}")
        assert "Posting **Example News** in" in enabled.messages[-1].content
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4, 5, 6))
        await poll_and_deliver(bot)
    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == [
        "Story 6: Mayor & council agree"
    ]


async def test_mentions_in_a_feed_never_ping(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    role_id = sandbox.world.role_id("asia-desk")
    user_id = sandbox.world.user_id("member")
    hostile = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>@everyone News</title>"
        f"<item><title>@everyone @here &lt;@&amp;{role_id}&gt; look</title>"
        "<link>https://news.example/x</link><guid>x</guid>"
        f"<description>&lt;@{user_id}&gt; and [a masked link](https://evil.example) @here"
        "</description></item></channel></rss>"
    )
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, hostile.encode())
        await poll_and_deliver(bot)
    (post,) = sandbox.posts("news")
    assert post.allowed_mentions == {"parse": []}
    assert post.content == ""
    assert "@everyone" in post.embeds[0]["title"]


async def test_a_template_preview_save_and_refusal_and_a_role_ping(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    role_id = sandbox.world.role_id("tech-desk")
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        bad = await sandbox.run_command(
            '/feed template subscription:1 template:"{title.__class__} {nope}"'
        )
        assert bad.messages[-1].content.startswith("{title.__class__} is not a placeholder.")
        preview = await sandbox.run_command(
            '/feed template subscription:1 template:"📰 {title} — {source} @everyone"'
        )
        shown = preview.messages[-1]
        assert shown.content.startswith("**Preview** (press Save to use it for #1):")
        assert "📰 Story 2: Mayor & council agree — Example News @everyone" in shown.content
        assert shown.embeds and shown.embeds[0]["title"] == "Story 2: Mayor & council agree"
        save = next(
            button for button in shown.components[0]["components"] if button["label"] == "Save"
        )
        stranger = await sandbox.click(shown.id, save["custom_id"], user="member")
        assert "Only the person who ran /feed template" in stranger.messages[-1].content
        saved = await sandbox.click(shown.id, save["custom_id"])
        assert saved.messages[-1].content == "Saved the template of subscription #1."
        pinged = await sandbox.run_command("/feed ping subscription:1 role:@tech-desk")
        assert "pings" in pinged.messages[-1].content

        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
    (post,) = sandbox.posts("news")
    assert post.content == (
        f"<@&{role_id}> 📰 Story 3: Mayor & council agree — Example News @everyone"
    )
    assert post.allowed_mentions == {"parse": [], "roles": [role_id]}


@on_both_engines
async def test_webhook_delivery_posts_under_the_source_name(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        enabled = await sandbox.run_command("/feed webhook subscription:1 enabled:true")
        assert "now posts in" in enabled.messages[-1].content
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
        await sandbox.run_command("/feed webhook subscription:1 enabled:false")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)
    first, second = sandbox.posts("news")
    assert first.webhook_id is not None
    assert first.embeds[0]["title"] == "Story 3: Mayor & council agree"
    assert first.allowed_mentions == {"parse": []}
    assert second.webhook_id is None
