"""Sending to Discord: the one place that turns a post or notice into an HTTP request.

Rules: every request is paced by ``bot.discord_io.pacing`` (hooked into the bot's HTTP session);
every send carries a nonce with ``enforce_nonce``;
``allowed_mentions`` is always explicit: nothing, except the one role a server configured on
a follow, which is pinged for that follow's posts. Discord's refusals become ``SendRejected``
sentences that name what to fix (the missing permissions, from the bot's view of the channel),
and say whether they stop the subscription (the destination refused) or only this post.
Servers and channels are looked up through ``bot.discord_io.directory``: the gateway's cache
when the process has one, else REST (the deliverer role runs without a gateway). A post to a
channel whose kind was recorded as text when its subscription or follow was made skips the
lookup (it is only needed to tell a forum apart); on a 403 the server is looked up then, to
name the missing permissions.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import aiohttp
import discord

from bot.core.errors import InvalidInput
from bot.core.models import TEXT_CHANNEL, ArticleCard, Delivery
from bot.core.text import trim_text
from bot.core.urls import is_web_url
from bot.discord_io.channel_webhooks import UNKNOWN_WEBHOOK, make_webhook
from bot.discord_io.directory import Directory
from bot.discord_io.earlier_posts import EarlierPosts
from bot.discord_io.embeds import post_embed
from bot.discord_io.webhook_names import webhook_name
from bot.pipeline.deliver.deliverer import SendRejected
from bot.pipeline.deliver.forum_tags import ForumTag, choose_forum_tag

log = logging.getLogger(__name__)

POST_PERMISSIONS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}


QUOTES_BUTTON_PREFIX = "newsdesk:quotes:"
NOTIFY_BUTTON_PREFIX = "newsdesk:notify:"
THREAD_NAME_LIMIT = 100


def mentions_for(role_id: int | None) -> discord.AllowedMentions:
    """Return the mentions a post may make: none, or only the one configured role."""
    if role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(id=role_id)], replied_user=False
    )


UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
WEBHOOK_DELETED = "the webhook Newsdesk posts through there was deleted."


def rejection(error: discord.HTTPException, forbidden_reason: str) -> SendRejected:
    """Turn Discord's refusal into a sentence, and say what it stops.

    Only a refusal of the destination stops the subscription: Unknown Channel (10003),
    Missing Access (50001), Missing Permissions (50013) and Unknown Webhook (10015, which the
    deliverer answers with a new webhook first). Any other 4xx but 429 is a refusal of this
    one post (AutoMod 200000, the active thread limit 160006, an invalid form body 50035…);
    429, 5xx and 401 are passing failures.
    """
    status, code = error.status, error.code
    if code == UNKNOWN_WEBHOOK:
        return SendRejected(WEBHOOK_DELETED, permanent=True, webhook_gone=True)
    if status == 403 and code in (MISSING_ACCESS, MISSING_PERMISSIONS, 0):
        return SendRejected(forbidden_reason, permanent=True)
    if status == 404 and code in (UNKNOWN_CHANNEL, 0):
        return SendRejected("the channel no longer exists.", permanent=True)
    details = trim_text(" ".join((error.text or "no details").split()), 300)
    if 400 <= status < 500 and status not in (401, 429):
        shown = f"{details} (code {code})" if code else details
        return SendRejected(f"Discord refused this post: {shown}.", permanent=False,
                            article_only=True)
    return SendRejected(f"Discord answered {status}: {details}.", permanent=False)


@contextlib.contextmanager
def refusals_as_rejections(forbidden_reason: Callable[[], str]) -> Iterator[None]:
    """Turn Discord's refusals and network failures inside the block into ``SendRejected``.

    ``forbidden_reason`` is only called on a 403, to name the missing permissions.
    """
    try:
        yield
    except discord.HTTPException as error:
        raise rejection(error, forbidden_reason() if error.status == 403 else "") from error
    except (OSError, TimeoutError, aiohttp.ClientError) as error:
        raise SendRejected(f"could not reach Discord ({error!r}).", permanent=False) from error


def quotes_button(article_id: int) -> discord.ui.Button[discord.ui.View]:
    """Return the "Quotes" button of an article's post (the one place it is drawn).

    Its custom id carries the article, so the dynamic item registered for
    ``QUOTES_BUTTON_PREFIX`` (``cogs.articles.QuotesButton``) answers clicks, even after a
    restart.
    """
    return discord.ui.Button(
        label="Quotes", emoji="💬", style=discord.ButtonStyle.secondary,
        custom_id=f"{QUOTES_BUTTON_PREFIX}{article_id}",
    )


def notify_button(role_id: int) -> discord.ui.Button[discord.ui.View]:
    """Return the "Notify me" button of a post that pings ``role_id``: a click gives the
    role to the member, or takes it back (``cogs.notify.NotifyButton`` answers, even after a
    restart)."""
    return discord.ui.Button(
        label="Notify me", emoji="🔔", style=discord.ButtonStyle.secondary,
        custom_id=f"{NOTIFY_BUTTON_PREFIX}{role_id}",
    )


def post_view(
    quotes_of: int | None = None, notify_role: int | None = None
) -> discord.ui.View | None:
    """Return a stopped view with a post's buttons: "Quotes" of article ``quotes_of`` and
    "Notify me" for role ``notify_role`` (None: no such button; neither: no view).

    The view is stopped so discord.py does not keep one object per post in memory.
    """
    if quotes_of is None and notify_role is None:
        return None
    view = discord.ui.View(timeout=None)
    if quotes_of is not None:
        view.add_item(quotes_button(quotes_of))
    if notify_role is not None:
        view.add_item(notify_button(notify_role))
    view.stop()
    return view


def missing_post_permissions(channel: discord.abc.GuildChannel) -> list[str]:
    """Return the names of the permissions Newsdesk lacks to post in ``channel``."""
    granted = channel.permissions_for(channel.guild.me)
    return [label for name, label in POST_PERMISSIONS.items() if not getattr(granted, name)]


def post_tag(
    forum: discord.ForumChannel, chosen_id: int | None, feed_title: str
) -> discord.ForumTag | None:
    """Return the tag a subscription's next post in ``forum`` carries (see ``forum_tags``)."""
    tags = {tag.id: tag for tag in forum.available_tags}
    chosen = choose_forum_tag(
        [ForumTag(tag.id, tag.name, tag.moderated) for tag in tags.values()],
        chosen_id=chosen_id, feed_title=feed_title,
        may_moderate=forum.permissions_for(forum.guild.me).manage_threads,
    )
    return None if chosen is None else tags[chosen.id]


class DiscordPostSender:
    """Sends posts and notices through the bot's own HTTP client."""

    def __init__(self, client: discord.Client, directory: Directory | None = None) -> None:
        self._client = client
        self._directory = directory or Directory(client)
        self._earlier_posts = EarlierPosts(client, self._directory)

    async def send_post(
        self, delivery: Delivery, card: ArticleCard, nonce: str, *,
        content: str | None, quotes_button: bool,
    ) -> int:
        """Post ``card`` (and ``content`` above it) to the delivery's channel; only the
        delivery's configured role may be pinged."""
        embed = post_embed(card)
        view = post_view(
            delivery.article.id if quotes_button else None,
            delivery.ping_role_id if delivery.notify_button else None,
        )
        role = delivery.ping_role_id
        if delivery.webhook is not None:
            return await self._post_through_webhook(delivery, embed, content, view)
        if delivery.channel_kind == TEXT_CHANNEL:
            # Recorded when the subscription was made: no lookup of the server (3 requests
            # for a REST-only deliverer) just to tell a forum from a text channel.
            return await self._send_naming_permissions(
                delivery.guild_id, delivery.channel_id, nonce, embed=embed, view=view,
                content=content, mentions=mentions_for(role),
            )
        with self._refusals(delivery.guild_id, delivery.channel_id):
            forum = await self._directory.channel(delivery.guild_id, delivery.channel_id)
        if isinstance(forum, discord.ForumChannel):
            return await self._post_in_forum(forum, delivery, embed, content, view)
        return await self._send(
            delivery.guild_id, delivery.channel_id, nonce, embed=embed, view=view,
            content=content, mentions=mentions_for(role),
        )

    async def _send_naming_permissions(
        self, guild_id: int, channel_id: int, nonce: str, *, content: str | None,
        embed: discord.Embed | None, view: discord.ui.View | None,
        mentions: discord.AllowedMentions,
    ) -> int:
        """``_send`` to a channel known to be a text one, whose server may not have been looked
        up: on a 403, look it up then, so the sentence names the missing permissions."""
        try:
            return await self._send(
                guild_id, channel_id, nonce, content=content, embed=embed, view=view,
                mentions=mentions,
            )
        except SendRejected as rejected:
            refusal = rejected.__cause__
            if not (
                isinstance(refusal, discord.HTTPException) and refusal.status == 403
                and self._directory.cached_guild(guild_id) is None
            ):
                raise
            with contextlib.suppress(
                discord.HTTPException, OSError, TimeoutError, aiohttp.ClientError
            ):
                await self._directory.guild(guild_id)
            raise rejection(refusal, self._forbidden_reason(guild_id, channel_id)) from refusal

    async def _post_in_forum(
        self, forum: discord.ForumChannel, delivery: Delivery, embed: discord.Embed | None,
        content: str | None, view: discord.ui.View | None,
    ) -> int:
        """Open one forum post for the article, titled by it; return its starter message id.

        Forum posts take no nonce: the deliverer looks for an earlier attempt's post first.
        """
        title = trim_text(delivery.article.title, THREAD_NAME_LIMIT) or "News"
        tag = post_tag(forum, delivery.forum_tag_id, delivery.feed_title)
        with self._refusals(delivery.guild_id, forum.id):
            with_view: dict[str, Any] = {"view": view} if view is not None else {}
            created = await forum.create_thread(
                name=title, content=content,
                embed=embed if embed is not None else discord.utils.MISSING,
                applied_tags=[tag] if tag is not None else discord.utils.MISSING,
                allowed_mentions=mentions_for(delivery.ping_role_id), **with_view,
            )
        return created.message.id

    async def _post_through_webhook(
        self, delivery: Delivery, embed: discord.Embed | None, content: str | None,
        view: discord.ui.View | None,
    ) -> int:
        """Post through the channel's webhook under the source's name and icon.

        Webhooks take no nonce: the deliverer looks for an earlier attempt's post first. The
        webhook is Newsdesk's own (made by the bot, so owned by its application), and Discord
        lets an application-owned webhook send interactive components: the Quotes button
        comes along, and its clicks reach the bot like any other.
        """
        assert delivery.webhook is not None
        webhook_id, token = delivery.webhook
        webhook = discord.Webhook.partial(webhook_id, token, client=self._client)
        with self._refusals(delivery.guild_id, delivery.channel_id):
            message = await webhook.send(
                content or discord.utils.MISSING,
                embed=embed if embed is not None else discord.utils.MISSING, wait=True,
                username=webhook_name(delivery.feed_title),
                avatar_url=delivery.feed_icon_url if is_web_url(delivery.feed_icon_url)
                else discord.utils.MISSING,
                allowed_mentions=mentions_for(delivery.ping_role_id),
                view=view if view is not None else discord.utils.MISSING,
            )
        return message.id

    async def nonce_deduplicates(self, delivery: Delivery) -> bool:
        """Whether a resend carries a nonce Discord de-duplicates: a plain channel post does;
        a webhook execution and a forum post take none."""
        if delivery.webhook is not None:
            return False
        if delivery.channel_kind is not None:
            return delivery.channel_kind == TEXT_CHANNEL
        with self._refusals(delivery.guild_id, delivery.channel_id):
            channel = await self._directory.channel(delivery.guild_id, delivery.channel_id)
        return not isinstance(channel, discord.ForumChannel)

    async def find_post(self, delivery: Delivery, link: str, since: datetime) -> int | None:
        """Return the id of the post of ``link`` Newsdesk made for ``delivery`` since
        ``since`` (see ``bot.discord_io.earlier_posts``), if there is one."""
        with self._refusals(delivery.guild_id, delivery.channel_id):
            return await self._earlier_posts.find(delivery, link, since)

    async def send_text(self, guild_id: int, channel_id: int, text: str, nonce: str) -> int:
        """Post a plain message to a channel with no mentions allowed."""
        return await self._send(guild_id, channel_id, nonce, content=text[:2000])

    async def edit_post(
        self, guild_id: int, channel_id: int, message_id: int, card: ArticleCard, *,
        quotes_of: int | None = None, notify_role: int | None = None,
    ) -> None:
        """Replace a sent post's card (mentions stay off), with the Quotes button of article
        ``quotes_of`` when set, beside the "Notify me" button of ``notify_role`` if the post
        has one (otherwise its buttons are left as they are)."""
        with refusals_as_rejections(lambda: "Discord refused the edit (Missing Permissions)."):
            if isinstance(
                await self._directory.channel(guild_id, channel_id), discord.ForumChannel
            ):
                channel_id = message_id  # a forum post's message lives in its own thread
        channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
        with_view: dict[str, Any] = (
            {"view": post_view(quotes_of, notify_role)} if quotes_of is not None else {}
        )
        with refusals_as_rejections(lambda: "Discord refused the edit (Missing Permissions)."):
            await channel.get_partial_message(message_id).edit(
                embed=post_embed(card), allowed_mentions=discord.AllowedMentions.none(),
                **with_view,
            )

    async def replace_webhook(self, guild_id: int, channel_id: int) -> tuple[int, str]:
        """Make a new webhook in a channel whose webhook an admin deleted."""
        try:
            with self._refusals(guild_id, channel_id):
                channel = await self._directory.channel(guild_id, channel_id)
                return await make_webhook(
                    channel if isinstance(channel, discord.abc.GuildChannel) else None
                )
        except InvalidInput as refused:
            raise SendRejected(
                f"{WEBHOOK_DELETED[:-1]}, and Newsdesk could not make a new one: "
                f"{refused.message}",
                permanent=True,
            ) from refused

    async def fallback_notice_channel(self, guild_id: int, avoid_channel_id: int) -> int | None:
        """Return the server's system channel, else its first channel Newsdesk can post in."""
        try:
            guild = await self._directory.guild(guild_id)
        except (discord.HTTPException, OSError, TimeoutError, aiohttp.ClientError):
            log.warning("no server to look for a notice channel in guild_id=%s", guild_id)
            return None
        candidates: list[discord.TextChannel] = []
        if guild.system_channel is not None:
            candidates.append(guild.system_channel)
        candidates.extend(sorted(guild.text_channels, key=lambda channel: channel.position))
        for channel in candidates:
            if channel.id != avoid_channel_id and not missing_post_permissions(channel):
                return channel.id
        return None

    @contextlib.contextmanager
    def _refusals(self, guild_id: int, channel_id: int) -> Iterator[None]:
        """``refusals_as_rejections`` for a post in ``channel_id``, naming the permissions it
        lacks there; a refused destination is looked up afresh next time."""
        try:
            with refusals_as_rejections(lambda: self._forbidden_reason(guild_id, channel_id)):
                yield
        except SendRejected as rejected:
            if rejected.permanent:
                self._directory.forget(guild_id)
            raise

    def _forbidden_reason(self, guild_id: int, channel_id: int) -> str:
        guild = self._directory.cached_guild(guild_id)
        channel = self._client.get_channel(channel_id) or (
            guild.get_channel(channel_id) if guild is not None else None
        )
        if isinstance(channel, discord.abc.GuildChannel) and channel.guild.me is not None:
            missing = missing_post_permissions(channel)
            if missing:
                return f"it lacks {', '.join(missing)} there; grant them to Newsdesk's role."
        return "Discord refused (Missing Permissions); check Newsdesk's permissions there."

    async def _send(
        self, guild_id: int, channel_id: int, nonce: str, *,
        content: str | None = None, embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        mentions: discord.AllowedMentions | None = None,
    ) -> int:
        channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
        with self._refusals(guild_id, channel_id):
            with_view: dict[str, Any] = {"view": view} if view is not None else {}
            message = await channel.send(
                content, embeds=[embed] if embed is not None else [], nonce=nonce,
                allowed_mentions=mentions or discord.AllowedMentions.none(), **with_view,
            )
        return message.id
