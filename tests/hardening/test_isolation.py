"""Server isolation: one server can neither see nor change another server's feeds.

Two servers share one sandbox and one bot. Server A follows a feed and gets a post with a
Quotes button; server B's admin then tries every command with A's ids, A's article
addresses, autocomplete and A's button custom id. B's replies must carry nothing of A
(titles, addresses, channel ids, quotes) and A's rows must be byte-for-byte unchanged.

Also: the bot checks Manage Server itself (a server that widens a command's permissions in
its settings still cannot let members change feeds), and menus answer only their opener.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.discord_io.sender import NOTIFY_BUTTON_PREFIX, QUOTES_BUTTON_PREFIX, post_view
from bot.sandbox.fake_discord import CommandOutcome, RecordedMessage, Sandbox
from bot.sandbox.fake_discord.world import GuildSpec
from tests.e2e.test_stories import OUTLETS, RECENT, page_url, serve_outlets
from tests.fixtures.http_servers import Route, RouteServer
from tests.hardening.conftest import (
    BotStarter,
    add_second_guild,
    feed_rows,
    poll_and_deliver,
    subscription_rows,
)

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "stories"
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
A_FEED = "/alpha-secret.xml"
A_PAGE = "/alpha-secret/floating-solar.html"
A_TITLE = "Alpha Secret Wire"
A_QUOTE = "We spent years wondering what to do with a lake nobody could swim in"
A_ARTICLE_TITLE = "Harbour city approves floating solar farm"
B_FEED = "/bravo.xml"
B_TITLE = "Bravo Gazette"


def rss_feed(title: str, items: list[tuple[str, str]]) -> bytes:
    """An RSS 2.0 feed with (title, link) items, newest first."""
    entries = "".join(
        f"<item><title>{escape(item_title)}</title><link>{escape(link)}</link>"
        f"<guid>{escape(link)}</guid><description>About {escape(item_title)}.</description>"
        "</item>"
        for item_title, link in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{escape(title)}</title>"
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    ).encode()


def everything_said(messages: list[RecordedMessage]) -> str:
    """All text a person could read in these messages: content, embeds, components, files."""
    parts: list[str] = []
    for message in messages:
        parts.append(message.content)
        parts.append(repr(message.embeds))
        parts.append(repr(message.components))
        for name, data in message.attachments:
            parts.append(name)
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def a_secrets(server: RouteServer, sandbox: Sandbox, a_sub_id: int) -> list[str]:
    """Strings only server A's configuration or content contains."""
    guild = sandbox.world.primary
    return [
        A_TITLE,
        "alpha-secret",
        A_QUOTE,
        A_ARTICLE_TITLE,
        server.url(A_FEED),
        *(str(channel.id) for channel in guild.channels),
        str(guild.id),
    ]


def assert_nothing_of_a(text: str, secrets: list[str], what: str) -> None:
    lowered = text.lower()
    leaked = [secret for secret in secrets if secret.lower() in lowered]
    assert not leaked, f"{what} leaked {leaked!r} from server A: {text[:600]!r}"


def answered(outcome: CommandOutcome) -> str:
    """The bot's answer; the command must have reached the bot and been answered."""
    assert outcome.refused is None, outcome.refused
    assert not outcome.timed_out
    assert outcome.messages
    return everything_said(outcome.messages)


async def set_up_server_a(
    sandbox: Sandbox, server: RouteServer, bot: Any
) -> tuple[int, RecordedMessage]:
    """Server A follows its feed in #news and gets one post with a Quotes button."""
    page = (PAGES / "original.html").read_text().replace("{base}", server.base_url)
    # Dated recently: a subscription's maximum article age holds back older items.
    page = page.replace("2026-11-20T08:30:00+00:00", RECENT.isoformat())
    server.routes[A_PAGE] = Route(200, HTML, page.encode())
    server.routes[A_FEED] = Route(200, RSS, rss_feed(A_TITLE, []))
    added = await sandbox.run_command(f"/feed add url:{server.url(A_FEED)} channel:#news")
    assert "Now following" in added.messages[-1].content
    server.set_body(A_FEED, rss_feed(A_TITLE, [(A_ARTICLE_TITLE, server.url(A_PAGE))]))
    await poll_and_deliver(bot)
    (post,) = sandbox.posts("news")
    (a_view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
    # Give A's subscription state worth protecting: an interval and copies on.
    await sandbox.run_command(f"/feed interval subscription:{a_view.subscription.id} minutes:45")
    await sandbox.run_command(f"/feed copies subscription:{a_view.subscription.id} post:true")
    return a_view.subscription.id, post


async def set_up_server_b(
    sandbox: Sandbox, server: RouteServer, bot: Any
) -> GuildSpec:
    guild = await add_second_guild(sandbox, bot)
    server.routes[B_FEED] = Route(
        200, RSS, rss_feed(B_TITLE, [("Bravo local fair", "https://bravo.example/fair")])
    )
    added = await sandbox.run_command(
        f"/feed add url:{server.url(B_FEED)} channel:#news", guild=guild.name
    )
    assert "Now following" in added.messages[-1].content
    return guild


async def test_server_b_cannot_see_or_change_server_a(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    async with start_bot() as bot:
        a_sub, a_post = await set_up_server_a(sandbox, server, bot)
        b_guild = await set_up_server_b(sandbox, server, bot)
        a_id = sandbox.world.guild_id
        secrets = a_secrets(server, sandbox, a_sub)
        a_before = await subscription_rows(bot, a_id)
        feeds_before = await feed_rows(bot)
        a_feed_requests = server.count(A_FEED)

        def b_run(line: str) -> Any:
            return sandbox.run_command(line, guild=b_guild.name)

        missing = f"This server has no subscription #{a_sub}."
        for line in (
            f"/feed remove subscription:{a_sub}",
            f"/feed refresh subscription:{a_sub}",
            f"/feed interval subscription:{a_sub} minutes:2",
            f"/feed interval subscription:{a_sub}",
            f"/feed enable subscription:{a_sub}",
            f"/feed copies subscription:{a_sub} post:false",
        ):
            text = answered(await b_run(line))
            assert missing in text, (line, text)
            assert_nothing_of_a(text, secrets, line)

        for line in (
            f"/feed why url:{server.url(A_PAGE)}",
            f"/story url:{server.url(A_PAGE)}",
            "/feed list",
            "/feed status",
            "/feed export",
            "/newsdesk settings",
        ):
            text = answered(await b_run(line))
            # Echoing back the address B typed is fine; anything else of A is not.
            text = text.replace(server.url(A_PAGE), "<typed>")
            assert_nothing_of_a(text, secrets, line)
        listed = answered(await b_run("/feed list"))
        assert B_TITLE in listed and "follows 1 feed" in listed

        for command in ("remove", "refresh", "interval", "enable"):
            for typed in ("", str(a_sub), "alpha", "secret", "127.0.0.1"):
                choices = await sandbox.autocomplete(
                    f"/feed {command} subscription:{typed}", focused="subscription",
                    guild=b_guild.name,
                )
                assert all(choice["value"] != a_sub for choice in choices), choices
                assert_nothing_of_a(repr(choices), secrets, f"autocomplete {command}")

        # A's Quotes button, custom id and all, on a message in server B.
        (a_button,) = [c for row in a_post.components for c in row["components"]]
        custom_id = a_button["custom_id"]
        assert custom_id.startswith(QUOTES_BUTTON_PREFIX)
        a_article_id = int(custom_id.removeprefix(QUOTES_BUTTON_PREFIX))
        b_general = bot.get_partial_messageable(
            sandbox.world.channel_id("general", guild_id=b_guild.id), guild_id=b_guild.id
        )
        forged_view = post_view(quotes_of=a_article_id)
        assert forged_view is not None
        forged = await b_general.send("forged", view=forged_view)
        for user in ("admin", "member"):
            clicked = await sandbox.click(forged.id, custom_id, user=user)
            text = answered(clicked)
            assert "not from a feed this server follows" in text
            assert_nothing_of_a(text, secrets, f"Quotes click by {user}")
        # A "Notify me" button for a role (A's, or B's own) that B does not offer gives nothing.
        for role_id in (
            sandbox.world.role_id("asia-desk"),
            sandbox.world.role_id("asia-desk", guild_id=b_guild.id),
        ):
            forged_notify = post_view(notify_role=role_id)
            assert forged_notify is not None
            offered = await b_general.send("forged", view=forged_notify)
            clicked = await sandbox.click(
                offered.id, f"{NOTIFY_BUTTON_PREFIX}{role_id}", user="member"
            )
            assert "no longer gives a role" in answered(clicked)
        b_spec = sandbox.world.guild(b_guild.id)
        assert b_spec is not None and b_spec.members[sandbox.world.user_id("member")] == ()

        # Nothing of A changed, and A's feed was not fetched on B's behalf.
        assert await subscription_rows(bot, a_id) == a_before
        assert await feed_rows(bot) == feeds_before
        assert server.count(A_FEED) == a_feed_requests
        # A's own button still works for A.
        own = await sandbox.click(a_post.id, custom_id, user="member")
        assert A_QUOTE in answered(own)
        # Nothing was ever posted into one server's channels on behalf of the other.
        b_channels = {channel.id for channel in b_guild.channels}
        for message in sandbox.messages:
            if message.kind == "post" and message.channel_id in b_channels:
                assert_nothing_of_a(everything_said([message]), secrets, "a post in B")


async def test_a_story_in_b_names_no_feed_only_a_follows(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    """A follows the original; B follows a republication of it: B hears nothing of A."""
    serve_outlets(server)
    herald_title, _, _ = OUTLETS["/herald.xml"]
    digest_title, _, _ = OUTLETS["/digest.xml"]
    a_secret_title = A_TITLE  # the name server A's feed has; only A follows it
    server.routes["/herald.xml"] = Route(200, RSS, rss_feed(a_secret_title, []))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{server.url('/herald.xml')} channel:#news")
        b_guild = await add_second_guild(sandbox, bot)
        await sandbox.run_command(
            f"/feed add url:{server.url('/digest.xml')} channel:#news", guild=b_guild.name
        )
        herald = page_url(server, "/herald.xml")
        server.set_body(
            "/herald.xml", rss_feed(a_secret_title, [("Floating solar farm approved", herald)])
        )
        await poll_and_deliver(bot)
        digest = page_url(server, "/digest.xml")
        server.set_body("/digest.xml", rss_feed(digest_title, [("Solar farm", digest)]))
        await poll_and_deliver(bot)
        story = answered(
            await sandbox.run_command(f"/story url:{digest}", guild=b_guild.name)
        )
        b_posts = sandbox.posts(sandbox.world.channel_id("news", guild_id=b_guild.id))
    assert b_posts, "B's copy was posted in B"
    b_text = everything_said(b_posts) + story
    assert herald_title  # the page itself may credit its publisher by its own name
    assert a_secret_title not in b_text, b_text[-800:]
    assert server.url("/herald.xml") not in b_text


@pytest.fixture
def widen_permissions(sandbox: Sandbox) -> Any:
    """Simulate a server that lets everyone use every command (Integrations settings)."""

    def widen() -> None:
        for command in sandbox.state.commands.get(sandbox.world.guild_id, []):
            command["default_member_permissions"] = None

    return widen


CONFIG_COMMANDS = (
    "/feed add url:{feed} channel:#news",
    "/feed list",
    "/feed status",
    "/feed refresh subscription:{sub}",
    "/feed interval subscription:{sub} minutes:3",
    "/feed enable subscription:{sub}",
    "/feed copies subscription:{sub} post:false",
    "/feed export",
    "/feed remove subscription:{sub}",
    "/newsdesk settings clear_log_channel:true",
)


async def test_member_refused_by_the_bot_even_when_discord_lets_them_through(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer, widen_permissions: Any,
    tmp_path: Path,
) -> None:
    server.routes[A_FEED] = Route(200, RSS, rss_feed(A_TITLE, []))
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        "<opml version='2.0'><head/><body>"
        f"<outline text='x' xmlUrl='{server.url('/other.xml')}'/></body></opml>"
    )
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{server.url(A_FEED)} channel:#news")
        (view,) = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
        before = await subscription_rows(bot, sandbox.world.guild_id)
        feeds_before = await feed_rows(bot)
        refused_by_discord = await sandbox.run_command("/feed list", user="member")
        assert refused_by_discord.refused is not None
        widen_permissions()
        lines = [line.format(feed=server.url(A_FEED), sub=view.subscription.id)
                 for line in CONFIG_COMMANDS]
        lines.append(f"/feed import file:{opml} channel:#news")
        for line in lines:
            text = answered(await sandbox.run_command(line, user="member"))
            assert "You need the Manage Server permission" in text, (line, text)
            assert_nothing_of_a(text, [A_TITLE, "alpha-secret"], line)
        assert await subscription_rows(bot, sandbox.world.guild_id) == before
        assert await feed_rows(bot) == feeds_before
        assert server.count("/other.xml") == 0


async def test_member_cannot_run_feed_why_when_discord_lets_them_through(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer, widen_permissions: Any,
) -> None:
    server.routes[A_FEED] = Route(200, RSS, rss_feed(A_TITLE, []))
    async with start_bot():
        await sandbox.run_command(f"/feed add url:{server.url(A_FEED)} channel:#news")
        widen_permissions()
        outcome = await sandbox.run_command(
            f"/feed why url:{server.url(A_PAGE)}", user="member"
        )
    assert "You need the Manage Server permission" in answered(outcome)


async def test_member_gets_no_subscription_suggestions_when_discord_lets_them_through(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer, widen_permissions: Any,
) -> None:
    server.routes[A_FEED] = Route(200, RSS, rss_feed(A_TITLE, []))
    async with start_bot():
        await sandbox.run_command(f"/feed add url:{server.url(A_FEED)} channel:#news")
        widen_permissions()
        choices = await sandbox.autocomplete(
            "/feed remove subscription:", focused="subscription", user="member"
        )
    assert choices == []


async def test_feed_choice_menu_answers_only_the_admin_who_opened_it(
    sandbox: Sandbox, start_bot: BotStarter, server: RouteServer
) -> None:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{name}" href="/{name}.xml">'
        for name in ("one", "two")
    )
    server.routes["/"] = Route(200, HTML, f"<html><head>{links}</head></html>".encode())
    for name in ("one", "two"):
        server.routes[f"/{name}.xml"] = Route(200, RSS, rss_feed(f"Feed {name}", []))
    async with start_bot() as bot:
        b_guild = await add_second_guild(sandbox, bot)
        opened = await sandbox.run_command(f"/feed add url:{server.url('/')} channel:#news")
        menu_message = opened.messages[-1]
        select = menu_message.components[0]["components"][0]
        # Someone else in the same server (the owner, who has every permission).
        other = await sandbox.click(
            menu_message.id, select["custom_id"], values=["1"], user="owner"
        )
        assert "Only the person who ran /feed add can choose here." in answered(other)
        assert await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id) == []
        assert await bot.services.subscriptions.list_subscriptions(b_guild.id) == []
        chosen = await sandbox.click(menu_message.id, select["custom_id"], values=["1"])
        assert "Now following **Feed two**" in answered(chosen)
        views = await bot.services.subscriptions.list_subscriptions(sandbox.world.guild_id)
        assert [view.feed_title for view in views] == ["Feed two"]
        assert await bot.services.subscriptions.list_subscriptions(b_guild.id) == []
