"""The contract: every command, button and menu, and every kind of post, against the strict
sandbox, and Discord refuses nothing (see ``conftest.nothing_refused``).

Kinds of post: plain, with a template, with a role ping, through a webhook, in a forum that
requires tags, a story's post edited as copies arrive, a digest; replies with a chart, with
pages and buttons, with a select menu; ephemeral replies and follow-ups. The bot opens no
modal (none exists to test).
"""

from __future__ import annotations

import re
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest

from bot.sandbox.fake_discord import RecordedMessage
from bot.sandbox.fake_discord import permissions as p
from bot.sandbox.fake_discord.world import BOT_NAME, BOT_ROLE_PERMISSIONS
from tests.contract.conftest import Contract
from tests.e2e.test_stories import OUTLETS, page_url, publish, serve_outlets
from tests.fixtures.bot_storage import bot_rows, bot_storage
from tests.fixtures.http_servers import Route, RouteServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
EVERY_COMMAND = {
    "digest list", "digest now", "digest schedule", "digest stop",
    "feed add", "feed copies", "feed embed", "feed enable", "feed export", "feed import",
    "feed interval",
    "feed list", "feed maxage", "feed pause", "feed ping", "feed preview", "feed refresh",
    "feed remove", "feed resume", "feed status", "feed tag", "feed template", "feed webhook",
    "feed why",
    "filter add", "filter list", "filter mode", "filter remove", "filter test",
    "follow add", "follow list", "follow remove",
    "help", "newsdesk settings", "notify list", "quotes", "search", "story", "summarize", "sync",
    "trend",
}


def wire(server: RouteServer, slug: str, numbers: range) -> bytes:
    """A feed titled after ``slug`` whose articles are pages of ``server`` (unserved: 404)."""
    items = "".join(
        f"<item><title>{escape(slug.title())} story {n}: harbour council budget</title>"
        f"<link>{server.url(f'/{slug}/story-{n}.html')}</link><guid>{slug}-{n}</guid>"
        f"<description>The {slug} desk reports item {n} on the harbour budget. "
        "The council met on Monday.</description></item>"
        for n in sorted(numbers, reverse=True)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel>"
        f"<title>{escape(slug.title())} Wire</title><link>{server.url('/' + slug)}</link>"
        f"{items}</channel></rss>"
    ).encode()


def serve_wire(contract: Contract, slug: str, numbers: range) -> str:
    """Serve (or update) the feed of ``slug``; return its address."""
    path = f"/{slug}.xml"
    contract.server.routes[path] = Route(200, RSS, wire(contract.server, slug, numbers))
    return contract.server.url(path)


async def deliver_everything(contract: Contract) -> None:
    """Poll every feed now and wait until every queued post is delivered."""
    report = await contract.bot.services.poller.poll_all()
    rows = await bot_rows(contract.bot, "SELECT id FROM outbox")
    ids = sorted({*report.outbox_ids, *(int(row[0]) for row in rows)})
    assert await contract.bot.settle(ids, 40.0)


def posts_of(contract: Contract, channel: str, slug: str) -> list[RecordedMessage]:
    """The posts in ``channel`` (or its threads) of the feed ``slug``."""
    return [
        post for post in contract.sandbox.posts(channel)
        if post.embeds and f"/{slug}/" in str(post.embeds[0].get("url"))
    ]


def button(message: RecordedMessage, label: str) -> str:
    """The custom id of the button labelled ``label`` on ``message``."""
    for row in message.components:
        for component in row["components"]:
            if component.get("label") == label:
                return str(component["custom_id"])
    raise AssertionError(f"no {label!r} button on {message.components}")


async def test_feed_commands_and_plain_templated_pinged_and_webhook_posts(
    contract: Contract,
) -> None:
    url = serve_wire(contract, "plain", range(1, 3))
    added = await contract.run(f"/feed add url:{url} channel:#news backfill:1")
    assert "Now following" in added.messages[-1].content, added.contents
    number = await contract.subscription_id(url, "news")
    await deliver_everything(contract)
    for line in (
        "/feed list", "/feed status", f"/feed list subscription:{number}",
        f"/feed status subscription:{number}", f"/feed refresh subscription:{number}",
        f"/feed why url:{contract.server.url('/plain/story-2.html')}",
        f"/feed interval subscription:{number} minutes:30",
        f"/feed interval subscription:{number}",
        f"/feed copies subscription:{number} post:true",
        f"/feed maxage subscription:{number} days:7",
        f"/feed preview subscription:{number}",
        f"/feed pause subscription:{number}",
        f"/feed resume subscription:{number}",
        f"/feed template subscription:{number}",
    ):
        await contract.run(line)
    choices = await contract.sandbox.autocomplete(
        f"/feed interval subscription:{number}", focused="subscription"
    )
    assert choices

    kept = await contract.run(f'/feed template subscription:{number} template:"📰 {{title}}"')
    await contract.click(kept.messages[-1], button(kept.messages[-1], "Save"))
    dropped = await contract.run(f'/feed template subscription:{number} template:"{{source}}"')
    await contract.click(dropped.messages[-1], button(dropped.messages[-1], "Cancel"))
    await contract.run(f"/feed ping subscription:{number} role:@asia-desk")
    await contract.run(f"/feed enable subscription:{number}")
    serve_wire(contract, "plain", range(1, 4))
    await deliver_everything(contract)
    await contract.run(f"/feed webhook subscription:{number} enabled:true")
    serve_wire(contract, "plain", range(1, 5))
    await deliver_everything(contract)
    await contract.run(f"/feed webhook subscription:{number} enabled:false")
    await contract.run(f"/feed ping subscription:{number} clear:true")
    await contract.run(f"/feed template subscription:{number} clear:true")

    exported = await contract.run("/feed export")
    assert exported.messages[-1].attachments
    other = serve_wire(contract, "imported", range(1, 2))
    opml = (
        "<opml version='2.0'><head><title>Mine</title></head><body>"
        f"<outline type='rss' text='Imported' xmlUrl='{escape(other)}'/></body></opml>"
    ).encode()
    await contract.run(
        "/feed import channel:#tech", files={"file": ("mine.opml", opml)}
    )
    await contract.run(f"/feed remove subscription:{number}")

    posts = posts_of(contract, "news", "plain")
    assert len(posts) == 3, [post.embeds[0]["title"] for post in posts]
    templated, hooked = posts[1], posts[2]
    assert "📰 Plain story 3" in templated.content and "<@&" in templated.content
    assert hooked.webhook_id is not None


async def test_embed_styles_ready_templates_test_posts_and_previews(
    contract: Contract,
) -> None:
    url = serve_wire(contract, "styled", range(1, 2))
    await contract.run(f"/feed add url:{url} channel:#news")
    number = await contract.subscription_id(url, "news")
    await contract.run(f"/feed embed subscription:{number} style:compact colour:#e67e22")
    await contract.run(f"/feed embed subscription:{number}")
    serve_wire(contract, "styled", range(1, 3))
    await deliver_everything(contract)
    await contract.run(f"/feed embed subscription:{number} style:off colour:default")
    shown = await contract.run(
        f'/feed template subscription:{number} template:"{{title}}[[ by {{author}}]] {{url}}"'
    )
    await contract.click(shown.messages[-1], button(shown.messages[-1], "Save"))
    serve_wire(contract, "styled", range(1, 4))
    await deliver_everything(contract)
    tools = (await contract.run(f"/feed template subscription:{number}")).messages[-1]
    menu = next(
        component for row in tools.components for component in row["components"]
        if component["type"] == 3
    )
    for position in range(len(menu["options"])):
        await contract.click(tools, menu["custom_id"], values=[str(position)])
    await contract.click(tools, button(tools, "Send a test post"))
    await contract.run(f"/feed embed subscription:{number} style:full")
    await contract.click(tools, button(tools, "Send a test post"))
    await contract.run(f"/feed template subscription:{number} clear:true")
    serve_wire(contract, "styled", range(1, 5))
    await deliver_everything(contract)
    posts = [
        post for post in contract.sandbox.posts("news")
        if ("/styled/" in post.content or "/styled/" in str(post.embeds))
        and not post.content.startswith("Test post:")
    ]
    assert len(posts) == 3, [post.content for post in posts]
    assert [len(post.embeds) for post in posts] == [1, 0, 1]  # compact, off, full
    await contract.run(f"/feed remove subscription:{number}")


async def test_notify_me_button_and_notify_list(contract: Contract) -> None:
    sandbox = contract.sandbox
    sandbox.set_role_permissions(BOT_NAME, BOT_ROLE_PERMISSIONS | p.MANAGE_ROLES)
    try:
        url = serve_wire(contract, "notify", range(1, 2))
        await contract.run(f"/feed add url:{url} channel:#tech")
        number = await contract.subscription_id(url, "tech")
        await contract.run(f"/feed ping subscription:{number} role:@tech-desk notify_button:true")
        await contract.run(
            "/follow add topic:lighthouse channel:#tech role:@tech-desk notify_button:true"
        )
        serve_wire(contract, "notify", range(1, 3))
        await deliver_everything(contract)
        [post] = posts_of(contract, "tech", "notify")
        for held in (["tech-desk"], []):  # gives the role, then takes it back
            clicked = await contract.click(post, button(post, "Notify me"), user="member")
            assert clicked.messages[-1].ephemeral, clicked.contents
            assert sandbox.member_roles("member") == held
        await contract.run("/notify list", user="member")
        await contract.run(f"/feed ping subscription:{number} clear:true")
        await contract.run(f"/feed remove subscription:{number}")
        [(follow_id,)] = await bot_rows(
            contract.bot, "SELECT id FROM follows WHERE topic = 'lighthouse'"
        )
        await contract.run(f"/follow remove follow:{int(follow_id)}")
    finally:
        sandbox.set_role_permissions(BOT_NAME, BOT_ROLE_PERMISSIONS)


async def test_a_forum_that_requires_tags_gets_tagged_posts(contract: Contract) -> None:
    contract.sandbox.set_forum_tags("forum-news", require_tag=True)
    url = serve_wire(contract, "forum", range(1, 2))
    added = await contract.run(f"/feed add url:{url} channel:#forum-news")
    assert "Now following" in added.messages[-1].content, added.contents
    number = re.search(r"subscription #(\d+)", added.messages[-1].content)
    assert number is not None
    await contract.run(f"/feed tag subscription:{number[1]} tag:Analysis")
    serve_wire(contract, "forum", range(1, 3))
    await deliver_everything(contract)
    assert len(posts_of(contract, "forum-news", "forum")) == 1
    tools = (await contract.run(f"/feed template subscription:{number[1]}")).messages[-1]
    tested = await contract.click(tools, button(tools, "Send a test post"))
    assert tested.messages[-1].content.startswith("Posted a test post of"), tested.contents
    assert len(posts_of(contract, "forum-news", "forum")) == 2


async def test_stories_quotes_trend_search_and_summaries(contract: Contract) -> None:
    serve_outlets(contract.server)
    for feed_path in OUTLETS:
        await contract.run(f"/feed add url:{contract.server.url(feed_path)} channel:#world")
    for feed_path in OUTLETS:
        publish(contract.server, feed_path)
        await deliver_everything(contract)  # one post, edited as each copy arrives

    story_page = page_url(contract.server, "/herald.xml")
    (post,) = [p for p in contract.sandbox.posts("world") if p.embeds[0]["url"] == story_page]
    assert [m for m in contract.sandbox.messages if m.edited_message_id == post.id]
    await contract.click(post, button(post, "Quotes"), user="member")
    await contract.run(f"/story url:{story_page}", user="member")
    await contract.run('/quotes who:"Tomasz Wreczycki"', user="member")
    chart = await contract.run("/trend term:solar", user="member")
    assert chart.messages[-1].attachments
    await contract.run("/search query:solar", user="member")
    await contract.run(f"/summarize url:{story_page}", user="member")


async def test_digests_now_scheduled_and_posted(contract: Contract) -> None:
    await contract.run("/digest now", user="member")
    await contract.run(
        "/digest schedule channel:#general frequency:daily time:08:30 timezone:Europe/Berlin"
    )
    await contract.run(
        "/digest schedule channel:#tech frequency:weekly time:07:00 weekday:monday"
    )
    await contract.run("/digest list")
    services = contract.bot.services
    guild_id = contract.sandbox.world.guild_id
    before = len(contract.sandbox.posts("general"))
    async with bot_storage(contract.bot) as storage:
        for digest in await services.digests.list_schedules(guild_id):
            await storage.digests.record_run(
                digest, None, next_run_at=services.clock() - timedelta(minutes=1),
                now=services.clock(),
            )
    assert await services.digests.run_due() >= 1
    await contract.sandbox.wait_for_posts("general", before + 1, timeout=10.0)
    await contract.run("/digest stop channel:#general")
    await contract.run("/digest stop channel:#tech")


async def test_follows_filters_and_lists_paged_with_buttons(contract: Contract) -> None:
    url = serve_wire(contract, "filtered", range(1, 3))
    await contract.run(f"/feed add url:{url} channel:#tech")
    number = await contract.subscription_id(url, "tech")
    await contract.run("/follow add topic:CSTO kind:organization channel:#world role:@asia-desk")
    for topic in range(14):  # long topics: the list needs a second page
        long_topic = f"lighthouse keeper topic number {topic:02d} " + "signal lamps " * 5
        await contract.run(f'/follow add topic:"{long_topic.strip()}"')
    await contract.run(
        f"/filter add target:subscription number:{number} action:exclude match:word "
        "pattern:sport field:title"
    )
    await contract.run(f"/filter list target:subscription number:{number}")
    await contract.run(f"/filter mode target:subscription number:{number} mode:any")
    await contract.run(f"/filter test target:subscription number:{number}")
    listed = await contract.run("/follow list")
    first_page = listed.messages[-1]
    assert first_page.components, "the follows fill more than one page"
    turned = await contract.click(first_page, button(first_page, "Next"))
    assert turned.messages
    await contract.click(turned.messages[-1], button(turned.messages[-1], "Previous"))
    rows = await bot_rows(contract.bot, "SELECT id FROM filters ORDER BY id")
    await contract.run(f"/filter remove rule:{int(rows[0][0])}")
    follows = await bot_rows(contract.bot, "SELECT id FROM follows ORDER BY id")
    await contract.run(f"/follow remove follow:{int(follows[0][0])}")
    serve_wire(contract, "filtered", range(1, 4))
    await deliver_everything(contract)


async def test_a_page_offering_several_feeds_opens_a_menu(contract: Contract) -> None:
    serve_wire(contract, "menu-one", range(1, 2))
    serve_wire(contract, "menu-two", range(1, 2))
    heads = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="/{slug}.xml">'
        for title, slug in (("First", "menu-one"), ("Second", "menu-two"))
    )
    contract.server.routes["/menu.html"] = Route(
        200, HTML, f"<!doctype html><html><head><title>Site</title>{heads}</head>"
        "<body><p>An article.</p></body></html>".encode(),
    )
    offered = await contract.run(f"/feed add url:{contract.server.url('/menu.html')} channel:#tech")
    menu = offered.messages[-1]
    select = menu.components[0]["components"][0]
    chosen = await contract.click(menu, select["custom_id"], values=["1"])
    assert "Now following" in chosen.messages[-1].content, chosen.contents


async def test_help_settings_and_sync(contract: Contract) -> None:
    await contract.run("/help", user="member")
    await contract.run("/newsdesk settings log_channel:#general")
    await contract.run("/newsdesk settings")
    await contract.run("/newsdesk settings clear_log_channel:true")
    await contract.run("/sync scope:server", user="owner")
    await contract.run("/sync scope:global", user="owner")


async def test_every_command_is_in_the_contract(contract: Contract) -> None:
    synced = {
        f"{command['name']} {option['name']}" if option.get("type") in (1, 2) else command["name"]
        for commands in contract.sandbox.state.commands.values()
        for command in commands
        for option in command.get("options") or [{}]
    }
    assert synced == EVERY_COMMAND
    assert contract.commands_run <= EVERY_COMMAND
