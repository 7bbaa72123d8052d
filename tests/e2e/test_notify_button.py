"""Members choose their pings: the "Notify me" button under posts, and /notify list."""

from __future__ import annotations

from bot.discord_io.client import NewsdeskBot
from bot.sandbox.fake_discord import Sandbox
from bot.sandbox.fake_discord import permissions as p
from bot.sandbox.fake_discord.records import CommandOutcome, RecordedMessage
from bot.sandbox.fake_discord.world import BOT_NAME, BOT_ROLE_PERMISSIONS
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver, rss
from tests.e2e.test_story_lead import (
    DATES,
    HTML,
    NOW,
    ORIGINAL,
    PAGES,
    RSS,
    edits_of,
    feed,
    publish,
    recent,
    serve,
)
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import Route, RouteServer
from tests.waiting import eventually

NOTIFY_PREFIX = "newsdesk:notify:"


async def grant_manage_roles(sandbox: Sandbox, bot: NewsdeskBot) -> None:
    """Give Newsdesk's role Manage Roles and wait until the bot has seen it."""
    sandbox.set_role_permissions(BOT_NAME, BOT_ROLE_PERMISSIONS | p.MANAGE_ROLES)
    guild = bot.get_guild(sandbox.world.primary.id)
    assert guild is not None
    await eventually(lambda: guild.me.guild_permissions.manage_roles)


def buttons(post: RecordedMessage) -> dict[str, str]:
    """The post's buttons, label -> custom id."""
    return {
        button["label"]: button["custom_id"]
        for row in post.components for button in row["components"]
    }



@on_both_engines
async def test_notify_me_gives_the_role_and_a_second_click_takes_it(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await grant_manage_roles(sandbox, bot)
        pinged = await sandbox.run_command(
            "/feed ping subscription:1 role:@asia-desk notify_button:true"
        )
        feed_server.set_body(FEED_PATH, rss(1, 2))
        await poll_and_deliver(bot)
        [post] = sandbox.posts("news")
        custom_id = buttons(post)["Notify me"]
        before = await sandbox.run_command("/notify list", user="member")
        given = await sandbox.click(post.id, custom_id, user="member")
        roles_after_first = sandbox.member_roles("member")
        listed = await sandbox.run_command("/notify list", user="member")
        taken = await sandbox.click(post.id, custom_id, user="member")
        roles_after_second = sandbox.member_roles("member")

    def said(outcome: CommandOutcome) -> str:
        return sandbox.render_mentions(outcome.messages[-1].content)

    assert said(pinged) == (
        "Subscription #1 pings @asia-desk for each post of **Example News**. Posts carry a "
        "**Notify me** button: members click it to get @asia-desk, and click again to drop it."
    )
    assert custom_id == f"{NOTIFY_PREFIX}{sandbox.world.role_id('asia-desk')}"
    assert post.allowed_mentions is not None
    assert said(before) == (
        "You hold no role Newsdesk pings here.\nYou can take @asia-desk with the **Notify me** "
        "button under their posts."
    )
    assert given.messages[-1].ephemeral and taken.messages[-1].ephemeral
    assert said(given) == (
        "You now have @asia-desk: you will be pinged for these posts. Click **Notify me** "
        "again to stop."
    )
    assert roles_after_first == ["asia-desk"]
    assert said(listed) == (
        "You hold 1 role Newsdesk pings here: @asia-desk (drop it with **Notify me** under "
        "its posts)."
    )
    assert said(taken) == (
        "You no longer have @asia-desk: these posts will not ping you. Click **Notify me** "
        "again to get it back."
    )
    assert roles_after_second == []
    assert not sandbox.schema_refusals and not sandbox.unknown_routes


@on_both_engines
async def test_missing_manage_roles_is_explained_to_the_admin_and_to_the_member(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        pinged = await sandbox.run_command(
            "/feed ping subscription:1 role:@asia-desk notify_button:true"
        )
        followed = await sandbox.run_command(
            "/follow add topic:Mayor channel:#world role:@admin notify_button:true"
        )
        feed_server.set_body(FEED_PATH, rss(1, 2))
        await poll_and_deliver(bot)
        [post] = sandbox.posts("news")
        clicked = await sandbox.click(post.id, buttons(post)["Notify me"], user="member")
        listed = await sandbox.run_command("/notify list", user="member")

    def said(outcome: CommandOutcome) -> str:
        return sandbox.render_mentions(outcome.messages[-1].content)

    assert said(pinged) == (
        "Subscription #1 pings @asia-desk for each post of **Example News**. Posts carry a "
        "**Notify me** button, but it cannot work yet. Newsdesk needs the Manage Roles "
        "permission to give @asia-desk to members: a server admin can grant it in Server "
        "Settings → Roles."
    )
    assert said(followed).endswith(
        "Posts carry a **Notify me** button, but it cannot work yet. Newsdesk needs the Manage "
        "Roles permission to give @admin to members: a server admin can grant it in Server "
        "Settings → Roles."
    )
    assert said(clicked) == (
        "Newsdesk cannot give you this role yet. Newsdesk needs the Manage Roles permission "
        "to give @asia-desk to members: a server admin can grant it in Server Settings → Roles."
    )
    assert clicked.messages[-1].ephemeral
    assert sandbox.member_roles("member") == []
    assert said(listed) == (
        "You hold no role Newsdesk pings here.\nYou can take @admin, @asia-desk with the "
        "**Notify me** button under their posts."
    )


@on_both_engines
async def test_a_role_above_newsdesks_own_is_explained_and_the_button_is_off_by_default(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await grant_manage_roles(sandbox, bot)
        plain = await sandbox.run_command("/feed ping subscription:1 role:@asia-desk")
        feed_server.set_body(FEED_PATH, rss(1, 2))
        await poll_and_deliver(bot)
        above = await sandbox.run_command(
            "/feed ping subscription:1 role:@admin notify_button:true"
        )
        off = await sandbox.run_command("/feed ping subscription:1 notify_button:false")
        listed = await sandbox.run_command("/notify list", user="member")

    def said(outcome: CommandOutcome) -> str:
        return sandbox.render_mentions(outcome.messages[-1].content)

    [post] = sandbox.posts("news")
    assert "Notify me" not in buttons(post)  # off unless an admin turns it on
    assert said(plain) == "Subscription #1 pings @asia-desk for each post of **Example News**."
    assert said(above).endswith(
        "Newsdesk can only give roles below its own highest role: a server admin can drag "
        "Newsdesk's role above @admin in Server Settings → Roles."
    )
    assert said(off) == (
        "Subscription #1 pings @admin for each post of **Example News**. Posts carry no "
        "**Notify me** button."
    )
    assert said(listed) == (
        "You hold no role Newsdesk pings here.\nNo post here offers a **Notify me** button; "
        "ask an admin for the roles you want."
    )


@on_both_engines
async def test_a_follows_posts_offer_its_role_until_the_admin_turns_the_button_off(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    feed_server.set_body(FEED_PATH, rss(1))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        await grant_manage_roles(sandbox, bot)
        added = await sandbox.run_command(
            "/follow add topic:council channel:#world role:@tech-desk notify_button:true"
        )
        kept = await sandbox.run_command("/follow add topic:council channel:#world")
        listed = await sandbox.run_command("/follow list")
        feed_server.set_body(FEED_PATH, rss(1, 2))
        await poll_and_deliver(bot)
        [post] = sandbox.posts("world")
        given = await sandbox.click(post.id, buttons(post)["Notify me"], user="member")
        held = sandbox.member_roles("member")
        await sandbox.run_command("/follow add topic:council channel:#world notify_button:false")
        refused = await sandbox.click(post.id, buttons(post)["Notify me"], user="member")

    def said(outcome: CommandOutcome) -> str:
        return sandbox.render_mentions(outcome.messages[-1].content)

    assert said(added).endswith(
        "Posts carry a **Notify me** button: members click it to get @tech-desk, and click "
        "again to drop it."
    )
    assert "Notify me" in said(kept)  # updating the follow keeps its button
    assert "· pings @tech-desk (Notify me button) · all feeds" in said(listed)
    assert post.content == f"<@&{sandbox.world.role_id('tech-desk')}>"
    assert said(given).startswith("You now have @tech-desk")
    assert held == ["tech-desk"]
    # An old post's button gives nothing once the server stopped offering the role.
    assert said(refused) == (
        "This button no longer gives a role: the server stopped offering it. /notify list "
        "shows the roles you can take."
    )
    assert sandbox.member_roles("member") == ["tech-desk"]


async def test_an_edit_that_adds_the_quotes_button_keeps_notify_me(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer
) -> None:
    serve(feed_server)
    # A teaser without quotations posts first; the original's arrival edits the post and
    # gives it the Quotes button, which replaces the post's buttons as a whole.
    original = recent((PAGES / ORIGINAL[3]).read_text().replace("{base}", feed_server.base_url))
    head, _, rest = original.partition("<p>")
    teaser_page = head + "".join(["<p>" + part for part in rest.split("<p>")][:3])
    teaser_page += "</article></body></html>"
    teaser_page = teaser_page.replace(
        DATES["2022-01-13T06:00:00+00:00"].isoformat(), NOW.isoformat()
    )
    teaser = ("/brief.xml", "Brief Wire", "/brief/kazakhstan.html", "")
    feed_server.routes[teaser[2]] = Route(200, HTML, teaser_page.encode())
    feed_server.routes[teaser[0]] = Route(200, RSS, feed(feed_server, teaser, published=False))
    async with start_bot() as bot:
        for outlet in (teaser, ORIGINAL):
            await sandbox.run_command(f"/feed add url:{feed_server.url(outlet[0])} channel:#news")
        await sandbox.run_command("/feed ping subscription:1 role:@tech-desk notify_button:true")
        for outlet in (teaser, ORIGINAL):
            publish(feed_server, outlet)
            await poll_and_deliver(bot)
            await bot.settle([], 5.0)
        (post,) = sandbox.posts("news")

    assert list(buttons(post)) == ["Notify me"]
    [*_, last_edit] = [edit for edit in edits_of(sandbox, post) if edit.components]
    assert list(buttons(last_edit)) == ["Quotes", "Notify me"]
