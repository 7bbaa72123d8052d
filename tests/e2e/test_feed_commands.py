"""The first slice, end to end: /feed add, list, remove, and posts arriving once."""

from __future__ import annotations

from discord import app_commands

from bot.app.settings import Settings
from bot.core.models import OutboxState
from bot.pipeline.deliver.deliverer import delivery_nonce
from bot.pipeline.fetch.address_guard import PRIVATE_ADDRESS_MESSAGE
from bot.sandbox.bot_runner import bot_in_sandbox
from bot.sandbox.fake_discord import CommandOutcome, Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.fixtures.bot_storage import bot_storage
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import Route, RouteServer


@on_both_engines
async def test_admin_adds_a_feed_and_sees_its_title_and_latest_item(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot():
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news", user="admin"
        )
    assert outcome.refused is None and not outcome.timed_out
    reply = outcome.messages[-1]
    assert reply.ephemeral
    text = sandbox.render_mentions(reply.content)
    assert "Now following **Example News** in #news" in text
    assert "Story 2: Mayor & council agree" in text
    assert "https://news.example/story-2" in text
    assert sandbox.posts("news") == []


async def test_member_cannot_add_a_feed(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news", user="member"
        )
        assert outcome.refused is not None
        assert await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id) == []
    assert feed_server.count(FEED_PATH) == 0


@on_both_engines
async def test_list_and_remove(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        listed = await sandbox.run_command("/feed list")
        text = sandbox.render_mentions(listed.messages[-1].content)
        assert "This server follows 1 feed:" in text
        assert "**Example News** → #news" in text
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)

        removed = await sandbox.run_command(f"/feed remove subscription:{view.subscription.id}")
        assert "Stopped following **Example News** in #news" in sandbox.render_mentions(
            removed.messages[-1].content
        )
        again = await sandbox.run_command(f"/feed remove subscription:{view.subscription.id}")
        assert again.messages[-1].content == (
            f"This server has no subscription #{view.subscription.id}. "
            "Use /feed list to see the numbers."
        )
        empty = await sandbox.run_command("/feed list")
        assert empty.messages[-1].content.startswith("This server follows no feeds yet.")


@on_both_engines
async def test_first_poll_posts_nothing_old_and_later_items_post_once_in_order(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        assert await poll_and_deliver(bot) == []
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        created = await poll_and_deliver(bot)
        assert len(created) == 2
        assert await poll_and_deliver(bot) == []
        async with bot_storage(bot) as storage:
            prefix = await storage.outbox.nonce_prefix()

    posts = sandbox.posts("news")
    assert [post.embeds[0]["title"] for post in posts] == [
        "Story 3: Mayor & council agree",
        "Story 4: Mayor & council agree",
    ]
    assert [post.embeds[0]["url"] for post in posts] == [
        "https://news.example/story-3",
        "https://news.example/story-4",
    ]
    first = posts[0]
    assert first.embeds[0]["author"]["name"] == "Example News"
    # The publication date is the embed's timestamp, shown once (no "Published" field).
    assert first.embeds[0]["timestamp"].startswith("20")
    assert "fields" not in first.embeds[0]
    assert first.embeds[0]["description"].startswith("Paragraph for story 3.")
    assert first.allowed_mentions == {"parse": []}
    assert first.nonce == delivery_nonce(prefix, created[0])


@on_both_engines
async def test_restart_with_the_same_database_posts_nothing_again(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        await poll_and_deliver(bot)
    assert len(sandbox.posts("news")) == 1

    async with start_bot() as bot:
        assert await poll_and_deliver(bot) == []
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
        assert view.feed_title == "Example News"
    assert len(sandbox.posts("news")) == 1


@on_both_engines
async def test_a_crash_between_send_and_record_does_not_post_twice(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, rss(1, 2, 3))
        # Stop the deliverer, then play its part up to the crash: claim and send, no record.
        await bot.remove_cog("Scheduler")
        report = await bot.services.poller.poll_all()
        await bot.reader.read_unread()
        async with bot_storage(bot) as storage:
            (delivery,) = await storage.outbox.claim(bot.services.clock(), 10)
            prefix = await storage.outbox.nonce_prefix()
        channel = bot.get_partial_messageable(delivery.channel_id)
        await channel.send("first attempt", nonce=delivery_nonce(prefix, delivery.outbox_id))
    assert len(sandbox.posts("news")) == 1

    async with start_bot() as bot:
        assert await bot.settle(report.outbox_ids, 30.0)
        async with bot_storage(bot) as storage:
            status = await storage.outbox.status(delivery.outbox_id)
    posts = sandbox.posts("news")
    assert len(posts) == 1
    assert status is not None
    assert (status.state, status.message_id) == (OutboxState.SENT, posts[0].id)


async def test_a_bad_address_gets_a_clear_sentence(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot():
        missing = await sandbox.run_command(
            f"/feed add url:{feed_server.url('/missing.xml')} channel:#news"
        )
        scheme = await sandbox.run_command("/feed add url:ftp://example.com/feed channel:#news")
    assert "404" in missing.messages[-1].content
    assert missing.messages[-1].ephemeral
    assert scheme.messages[-1].content.startswith("Newsdesk follows http and https addresses")


async def test_help_lists_the_commands_each_member_may_use_with_their_options(
    sandbox: Sandbox, start_bot: BotStarter
) -> None:
    async with start_bot() as bot:
        admin = await sandbox.run_command("/help")
        member = await sandbox.run_command("/help", user="member")
        one = await sandbox.run_command('/help command:"feed add"')
        hidden = await sandbox.run_command('/help command:"feed add"', user="member")
        leaves = {
            command.qualified_name: command for command in bot.tree.walk_commands()
            if not isinstance(command, app_commands.Group)
        }

    def text(outcome: CommandOutcome) -> str:
        return "\n".join(embed["description"] for embed in outcome.messages[-1].embeds)

    assert admin.messages[-1].ephemeral and member.messages[-1].ephemeral
    assert len(leaves) >= 15
    for name in leaves:
        if name != "sync":  # the bot's owner's only
            assert f"`/{name}" in text(admin), name
    assert "`/feed add url channel [backfill]" in text(admin)
    assert "`/search query [subscription] [days]`" in text(member)
    assert "`/summarize url`" in text(member)
    assert "/feed" not in text(member) and "/follow" not in text(member)
    assert "/filter" not in text(member) and "/sync" not in text(member)
    assert sum(len(embed["description"]) for embed in admin.messages[-1].embeds) <= 6000
    assert "**backfill** (optional; 0–10): " in text(one)
    assert hidden.messages[-1].content.startswith("You have no command named /feed add.")


@on_both_engines
async def test_a_failing_feed_warns_the_channel_and_announces_its_recovery(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        working = feed_server.routes[FEED_PATH]
        feed_server.routes[FEED_PATH] = (500, {}, b"down")
        for _ in range(3):
            await poll_and_deliver(bot)  # settles the notices too
        listed = await sandbox.run_command("/feed list")
        feed_server.routes[FEED_PATH] = working
        await poll_and_deliver(bot)

    notices = [post.content for post in sandbox.posts("news")]
    assert len(notices) == 2
    assert "failed 3 checks in a row" in notices[0]
    assert "500" in notices[0]
    assert "works again" in notices[1]
    assert "failing:" in listed.messages[-1].content


async def test_run_mode_refuses_a_loopback_feed_with_a_clear_sentence(
    sandbox: Sandbox, settings: Settings, feed_server: RouteServer
) -> None:
    async with bot_in_sandbox(sandbox, settings, allow_private_addresses=False):
        outcome = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news"
        )
    assert outcome.messages[-1].content == PRIVATE_ADDRESS_MESSAGE
    assert feed_server.count(FEED_PATH) == 0


async def test_second_poll_is_a_conditional_get_answered_304(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.routes[FEED_PATH] = Route(
        200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, rss(1, 2),
        honour_validators=True,
    )
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        assert await poll_and_deliver(bot) == []
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
        async with bot_storage(bot) as storage:
            feed = await storage.feeds.get(view.subscription.feed_id)
    requests = feed_server.requests_to(FEED_PATH)
    assert len(requests) == 2
    assert requests[0].headers.get("If-None-Match") is None
    assert requests[1].headers.get("If-None-Match") == '"v1"'
    assert feed is not None and feed.last_success_at is not None and feed.error_count == 0


async def test_a_forum_gets_one_post_per_article_titled_by_it(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    async with start_bot() as bot:
        added = await sandbox.run_command(
            f"/feed add url:{feed_server.url(FEED_PATH)} channel:#forum-news"
        )
        assert "Now following **Example News** in" in added.messages[-1].content
        feed_server.set_body(FEED_PATH, rss(1, 2, 3, 4))
        await poll_and_deliver(bot)
    threads = sandbox.threads("forum-news")
    assert [thread.name for thread in threads] == [
        "Story 3: Mayor & council agree",
        "Story 4: Mayor & council agree",
    ]
    starters = sandbox.posts("forum-news")
    assert [post.embeds[0]["url"] for post in starters] == [
        "https://news.example/story-3",
        "https://news.example/story-4",
    ]
    assert all(post.allowed_mentions == {"parse": []} for post in starters)
