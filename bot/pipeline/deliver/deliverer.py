"""Delivery: claim outbox rows, post them to Discord, record what happened.

Rules (exactly once per channel):
- A row is claimed (``sending``) before it is sent and recorded (``sent`` + message id) after.
- Every send carries a nonce derived from the row id with ``enforce_nonce``; if the process
  dies between send and record, the row is released at start-up and resent, and Discord
  answers the repeat with the message it already created, but only for a few minutes.
- So a row an earlier attempt may have posted (``send_began_at``: a crash, a retried failure)
  is first looked for in its channel, by the article's link among Newsdesk's posts since that
  attempt began, whenever its nonce cannot be trusted: the attempt began longer ago than
  ``NONCE_TRUSTED`` (Discord: "the past few minutes"), or the post goes through a webhook or
  into a forum, which take no nonce. Found: it is recorded as sent with that message.
- Only a refusal of the destination (Unknown Channel, Missing Access, Missing Permissions, or
  a deleted webhook that could not be replaced) fails the row for good and disables its
  subscription with the reason; a deleted webhook is first replaced by a new one, once. A
  refusal of one post (AutoMod, the thread limit, a value Discord rejects) fails that row
  with Discord's reason and the channel goes on. Other failures retry with back-off, up to
  ``MAX_ATTEMPTS``.
- A send that crashes (a bug on this row's article, a database fault) is a failed attempt
  too, retried with back-off; a row that crashed ``MAX_CRASHED_SENDS`` times (a poison item)
  fails with the reason, and its channel moves on.
- Rows of one channel go out oldest first, one at a time: a channel's next row is claimed
  only once the previous one is recorded, and the database refuses a second row of a
  channel in flight (``storage.outbox``), whichever process claims it. Channels are served
  concurrently so one slow channel never holds up the others.
- Past one process, only the leading deliverer writes: every write carries its ``fence``
  (``storage.leases``), and once another process leads, this one's writes are refused and
  it leaves its claimed rows to the new leader.
- ``allowed_mentions`` is explicit: nothing in a feed pings anyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.errors import LeadershipLost
from bot.core.models import Article, ArticleCard, Delivery
from bot.discord_io import markup
from bot.pipeline.deliver.cards import article_card, card_digest, post_template
from bot.pipeline.deliver.templates import TemplateValues, post_content, shows_summary
from bot.pipeline.story.credits import story_credits
from bot.pipeline.story.lead import story_lead
from bot.pipeline.timings import PipelineTimings, WakeLoop
from storage import Repositories
from storage.leases import Fence
from storage.outbox import ChannelOrderViolation

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_CRASHED_SENDS = 3
CRASHED_SEND = (
    f"Newsdesk could not post this article in {MAX_CRASHED_SENDS} attempts (an internal "
    "error, logged), so it gave up on it."
)
CLAIM_BATCH = 500
NONCE_TRUSTED = timedelta(minutes=1)
"""How long after a send Discord surely still de-duplicates its nonce: well inside the "few
minutes" it documents, since trusting it too long posts twice, looking too often costs one
read."""


def delivery_nonce(prefix: str, outbox_id: int) -> str:
    """Return the Discord nonce of an outbox row: stable across restarts, unique to this
    database (``prefix``), at most 25 characters."""
    return f"d{prefix}{outbox_id}"


def notice_nonce(prefix: str, notice_id: int) -> str:
    """Return the Discord nonce of a notice row."""
    return f"n{prefix}{notice_id}"


@dataclass(frozen=True)
class SendRejected(Exception):
    """Discord refused a send.

    ``permanent``: the destination is closed to Newsdesk (the channel is gone, a permission
    is missing, the webhook was deleted), so the subscription stops. ``article_only``: Discord
    refused this one post (AutoMod, a thread limit, a value it rejects): the row fails with
    the reason and the channel goes on. Neither: a passing failure, retried later.
    ``webhook_gone``: the webhook was deleted; the deliverer makes a new one once.
    """

    reason: str
    permanent: bool
    article_only: bool = False
    webhook_gone: bool = False


class PostSender(Protocol):
    """Posts one article card to a channel and returns the message id."""

    async def send_post(
        self, delivery: Delivery, card: ArticleCard, nonce: str, *,
        content: str | None, quotes_button: bool,
    ) -> int:
        """Send (with a button showing the article's quotes), or raise ``SendRejected``."""
        ...

    async def send_text(self, guild_id: int, channel_id: int, text: str, nonce: str) -> int:
        """Send a plain message with no mentions, or raise ``SendRejected``."""
        ...

    async def fallback_notice_channel(self, guild_id: int, avoid_channel_id: int) -> int | None:
        """Return a channel where admins will see a notice, other than a broken one."""
        ...

    async def nonce_deduplicates(self, delivery: Delivery) -> bool:
        """Whether Discord de-duplicates a resend of ``delivery`` by its nonce (webhook
        executions and forum posts take none)."""
        ...

    async def find_post(self, delivery: Delivery, link: str, since: datetime) -> int | None:
        """Return the message id of the post of ``link`` Newsdesk made for ``delivery``'s
        destination since ``since``, if there is one; raise ``SendRejected`` when Discord
        could not be asked."""
        ...

    async def edit_post(
        self, guild_id: int, channel_id: int, message_id: int, card: ArticleCard, *,
        quotes_of: int | None = None, notify_role: int | None = None,
    ) -> None:
        """Replace a sent post's card (and give it the Quotes button of article
        ``quotes_of`` when set, keeping its "Notify me" button of ``notify_role``), or raise
        ``SendRejected``."""
        ...

    async def replace_webhook(self, guild_id: int, channel_id: int) -> tuple[int, str]:
        """Make a new webhook in a channel whose webhook was deleted; return its id and token,
        or raise ``SendRejected`` (permanent) saying why it could not."""
        ...


class Deliverer:
    """Drains the outbox: claim, send, record."""

    def __init__(
        self, repositories: Repositories, sender: PostSender, clock: Callable[[], datetime],
        *, timings: PipelineTimings, fence: Fence | None = None,
    ) -> None:
        self._repos = repositories
        self._fence = fence
        self._sender = sender
        self._clock = clock
        self._timings = timings
        self._wake_loop = WakeLoop("delivery", self._deliver_round, timings.idle_wake_seconds)
        self._workers: set[asyncio.Task[None]] = set()
        self._prefix: str | None = None

    async def _nonce_prefix(self) -> str:
        if self._prefix is None:
            self._prefix = await self._repos.outbox.nonce_prefix()
        return self._prefix

    def wake(self) -> None:
        """Ask the running deliverer to look at the outbox now."""
        self._wake_loop.wake()

    async def run_forever(self) -> None:
        """Deliver whenever woken (or every few seconds) until cancelled; never dies of a bug."""
        released = await self._repos.outbox.release_interrupted(fence=self._fence)
        released += await self._repos.notices.release_interrupted(fence=self._fence)
        if released:
            log.info("released interrupted deliveries count=%d", released)
        try:
            await self._wake_loop.run_forever()
        finally:
            for worker in list(self._workers):
                worker.cancel()

    async def _deliver_round(self) -> None:
        try:
            while await self.deliver_ready():
                pass
        except LeadershipLost:
            log.warning("another deliverer leads now: this one's writes are refused")

    async def deliver_ready(self) -> int:
        """Claim ready notices, and the next row of each channel that has one, and hand each
        channel to a worker of its own.

        Returns how many were claimed; the workers send in the background, so one slow
        channel never holds up another. A worker goes on with its channel's next row as soon
        as it has recorded the previous one, and wakes the deliverer when its channel has no
        more ready.
        """
        notices = await self._deliver_notices()
        try:
            claimed = await self._repos.outbox.claim(
                self._clock(), CLAIM_BATCH, fence=self._fence
            )
        except ChannelOrderViolation:
            claimed = []  # logged where it was refused; the next round claims afresh
        for delivery in claimed:
            worker = asyncio.create_task(self._deliver_channel(delivery))
            self._workers.add(worker)
            worker.add_done_callback(self._worker_done)
        refreshed = await self._refresh_posts()
        return notices + len(claimed) + refreshed

    def _worker_done(self, worker: asyncio.Task[None]) -> None:
        self._workers.discard(worker)
        if not worker.cancelled() and worker.exception() is not None:
            log.error("channel delivery crashed", exc_info=worker.exception())
        self.wake()

    async def _deliver_notices(self) -> int:
        notices = await self._repos.notices.claim(
            self._clock(), CLAIM_BATCH, fence=self._fence
        )
        for notice in notices:
            try:
                message_id = await self._sender.send_text(
                    notice.guild_id, notice.channel_id, notice.text,
                    notice_nonce(await self._nonce_prefix(), notice.id),
                )
            except SendRejected as rejected:
                log.warning(
                    "notice not delivered guild_id=%s channel_id=%s reason=%s",
                    notice.guild_id, notice.channel_id, rejected.reason,
                )
                if rejected.permanent or notice.attempts >= MAX_ATTEMPTS:
                    await self._repos.notices.mark_failed(
                        notice.id, rejected.reason, fence=self._fence
                    )
                else:
                    await self._repos.notices.mark_retry(
                        notice.id, rejected.reason, self._retry_at(notice.attempts),
                        fence=self._fence,
                    )
                continue
            await self._repos.notices.mark_sent(notice.id, message_id, fence=self._fence)
        return len(notices)

    async def _deliver_channel(self, delivery: Delivery) -> None:
        """Send a channel's rows one at a time, oldest first: each is recorded (sent, failed
        or put back for a retry) before the channel's next row is claimed."""
        current: Delivery | None = delivery
        try:
            while current is not None:
                try:
                    await self._deliver_one(current)
                except LeadershipLost:
                    raise
                except Exception:
                    log.exception(
                        "delivery crashed guild_id=%s channel_id=%s article_id=%s attempt=%d",
                        current.guild_id, current.channel_id, current.article.id,
                        current.attempts,
                    )
                    await self._record_crash(current)
                    return
                current = await self._repos.outbox.claim_channel(
                    current.channel_id, self._clock(), fence=self._fence
                )
        except ChannelOrderViolation:
            return  # logged where it was refused; the next round claims afresh
        except LeadershipLost:
            # The row stays claimed: the new leader gives it back and, as its send may have
            # been made, finds the post or sends it again under the same nonce.
            log.warning(
                "another deliverer leads now; row left to it outbox_id=%s",
                current.outbox_id if current is not None else None,
            )

    async def _record_crash(self, delivery: Delivery) -> None:
        """Count a crashed send as a failed attempt (retried after back-off, looked for before
        it is resent, failed for good after ``MAX_CRASHED_SENDS``); the channel's later rows
        wait for it."""
        try:
            if delivery.attempts >= MAX_CRASHED_SENDS:
                await self._repos.outbox.mark_failed(
                    delivery.outbox_id, CRASHED_SEND, fence=self._fence
                )
            else:
                await self._repos.outbox.mark_retry(
                    delivery.outbox_id, "an internal error (logged)",
                    self._retry_at(delivery.attempts), fence=self._fence,
                )
        except LeadershipLost:
            raise
        except Exception:
            # The database itself is failing: give the row back as it was, to be looked for
            # before it is resent.
            await self._repos.outbox.release(
                [delivery.outbox_id], maybe_sent=True, fence=self._fence
            )
            raise

    async def _card_for(
        self, post: tuple[int, int, int], article: Article, feed_title: str,
        feed_site_url: str | None, story_id: int | None, *, template: str | None,
        style: str, colour: int | None,
    ) -> tuple[ArticleCard, str | None, bool]:
        """Render a post (``post``: guild, channel and outbox ids): its story's lead source
        (``bot.pipeline.story.lead``: the original, else the earliest published, else the
        least altered), crediting the original and the other sources this server follows.
        A post without a story, or a copy a subscription posts on purpose after the story's
        post, shows its own ``article``. A ``template`` that shows the summary takes it out of
        the embed; ``style`` and ``colour`` are the subscription's embed. Also returns the
        credited original's name and whether the article shown has quotes (for the Quotes
        button)."""
        guild_id, channel_id, outbox_id = post
        story = (
            await self._repos.stories.story(guild_id, story_id) if story_id is not None else None
        )
        original: tuple[str, str | None] | None = None
        also: str | None = None
        if story is not None:
            lead = await story_lead(self._repos, story)
            stands_for_story = await self._repos.stories.leads_story_in_channel(
                outbox_id, channel_id, story.id
            )
            if stands_for_story and lead.article_id != article.id:
                found = await self._repos.articles.get_with_feed(lead.article_id)
                if found is not None:
                    article, feed_title, feed_site_url = found
            credits = story_credits(story, article.id)
            if credits.original_name is not None:
                original = (credits.original_name, credits.original_url)
            also = credits.also_text(linked=True)
        card = article_card(
            article, source_name=feed_title, source_url=feed_site_url,
            original=original, also_reported_by=also, summary=not shows_summary(template),
            style=style, colour=colour,
        )
        has_quotes = bool(article.details.quotes)
        return card, original[0] if original is not None else None, has_quotes

    async def _refresh_posts(self) -> int:
        """Re-render and edit sent posts whose story gained a source or its original."""
        refreshes = await self._repos.outbox.claim_refreshes(CLAIM_BATCH, fence=self._fence)
        for refresh in refreshes:
            found = await self._repos.articles.get_with_feed(refresh.article_id)
            if found is None:
                continue
            card, _, lead_quotes = await self._card_for(
                (refresh.guild_id, refresh.channel_id, refresh.outbox_id), *found,
                refresh.story_id, template=refresh.template, style=refresh.embed_style,
                colour=refresh.embed_colour,
            )
            digest = card_digest(card)
            if digest == refresh.card_digest:
                # A copy from a source the post already credits (or from its own feed)
                # changes nothing: an edit would only mark the post "(edited)".
                continue
            try:
                # A post whose own article had no quotes gets the button once its new lead
                # brings some (a click shows the story's quotes, whichever article it names).
                # Buttons are replaced together: the "Notify me" one must come along.
                notify_role = (
                    await self._repos.outbox.notify_role_of(refresh.outbox_id)
                    if lead_quotes else None
                )
                await self._sender.edit_post(
                    refresh.guild_id, refresh.channel_id, refresh.message_id, card,
                    quotes_of=refresh.article_id if lead_quotes else None,
                    notify_role=notify_role,
                )
            except SendRejected as rejected:
                log.warning(
                    "post not refreshed guild_id=%s channel_id=%s message_id=%s reason=%s",
                    refresh.guild_id, refresh.channel_id, refresh.message_id, rejected.reason,
                )
                continue
            await self._repos.outbox.record_card(
                refresh.outbox_id, digest, fence=self._fence
            )
        return len(refreshes)

    async def _deliver_one(self, delivery: Delivery) -> None:
        """Post one claimed row (or find the post an earlier attempt made) and record it:
        sent, failed, or put back to be retried."""
        if delivery.stopped:
            # Queued by a transaction that ran beside the stop, so the stop's own cancelling
            # of the queue did not see it: posting it would refuse again (a second notice to
            # the admins) or post for a feed they removed.
            log.info(
                "row of a stopped subscription not posted guild_id=%s channel_id=%s"
                " outbox_id=%s", delivery.guild_id, delivery.channel_id, delivery.outbox_id,
            )
            await self._repos.outbox.mark_failed(
                delivery.outbox_id, "its subscription was disabled or removed",
                fence=self._fence,
            )
            return
        card, original, lead_quotes = await self._card_for(
            (delivery.guild_id, delivery.channel_id, delivery.outbox_id), delivery.article,
            delivery.feed_title, delivery.feed_site_url, delivery.story_id,
            template=delivery.template, style=delivery.embed_style,
            colour=delivery.embed_colour,
        )
        content = post_content(
            post_template(delivery.template, delivery.embed_style), delivery.ping_role_id,
            TemplateValues.of(
                delivery.article, delivery.feed_title, original,
                (delivery.feed_title, delivery.feed_url, delivery.feed_site_url),
            ),
        )
        nonce = delivery_nonce(await self._nonce_prefix(), delivery.outbox_id)
        # The button shows the story's quotes, merged across its sources.
        quotes = lead_quotes or bool(delivery.article.details.quotes)
        try:
            message_id = await self._earlier_post(delivery, card.url)
            if message_id is None:
                try:
                    message_id = await self._sender.send_post(
                        delivery, card, nonce, content=content, quotes_button=quotes
                    )
                except SendRejected as rejected:
                    if not rejected.webhook_gone or delivery.webhook is None:
                        raise
                    delivery = await self._with_new_webhook(delivery)
                    message_id = await self._sender.send_post(
                        delivery, card, nonce, content=content, quotes_button=quotes
                    )
        except SendRejected as rejected:
            await self._record_rejection(delivery, rejected)
            return
        await self._repos.outbox.mark_sent(
            delivery.outbox_id, message_id, self._clock(), card_digest(card),
            fence=self._fence,
        )

    async def _earlier_post(self, delivery: Delivery, link: str | None) -> int | None:
        """Return the post an earlier attempt made of this row, when its nonce cannot be
        trusted to stop a second one; None when there is none (or nothing to look for)."""
        began = delivery.send_began_at
        if began is None or link is None:
            return None
        if (
            self._clock() - began < NONCE_TRUSTED
            and await self._sender.nonce_deduplicates(delivery)
        ):
            return None
        found = await self._sender.find_post(delivery, link, began)
        log.info(
            "looked for an earlier post guild_id=%s channel_id=%s article_id=%s found=%s",
            delivery.guild_id, delivery.channel_id, delivery.article.id, found,
        )
        return found

    async def _with_new_webhook(self, delivery: Delivery) -> Delivery:
        """Replace the channel's deleted webhook (once) and return the delivery through it.

        Raises:
            SendRejected: no new webhook could be made (permanent).
        """
        assert delivery.webhook is not None
        made = await self._sender.replace_webhook(delivery.guild_id, delivery.channel_id)
        await self._repos.subscriptions.replace_channel_webhook(
            delivery.guild_id, delivery.channel_id, delivery.webhook[0], made, fence=self._fence
        )
        log.info(
            "deleted webhook replaced guild_id=%s channel_id=%s webhook_id=%s",
            delivery.guild_id, delivery.channel_id, made[0],
        )
        return replace(delivery, webhook=made)

    async def _record_rejection(self, delivery: Delivery, rejected: SendRejected) -> None:
        context = (delivery.guild_id, delivery.channel_id, delivery.article.id)
        if rejected.article_only and not rejected.permanent:
            # Discord refused this one post: the row fails with its reason (/feed why shows
            # it) and the channel goes on with its next post.
            log.warning(
                "post refused guild_id=%s channel_id=%s article_id=%s reason=%s",
                *context, rejected.reason,
            )
            await self._repos.outbox.mark_failed(
                delivery.outbox_id, rejected.reason, fence=self._fence
            )
            return
        if rejected.permanent or delivery.attempts >= MAX_ATTEMPTS:
            log.warning(
                "delivery failed for good guild_id=%s channel_id=%s article_id=%s reason=%s",
                *context, rejected.reason,
            )
            broken = delivery.subscription_id if rejected.permanent else None
            if broken is not None:
                # Disabled first: it fails the subscription's later rows together with this
                # one, so a delivery round beside this worker never sees this row failed and
                # the next one free to claim.
                await self._repos.subscriptions.disable(
                    delivery.guild_id, broken, rejected.reason, fence=self._fence
                )
            await self._repos.outbox.mark_failed(
                delivery.outbox_id, rejected.reason, fence=self._fence
            )
            if broken is not None:
                await self._notify_broken_destination(delivery, rejected.reason)
            return
        log.info(
            "delivery will retry guild_id=%s channel_id=%s article_id=%s reason=%s",
            *context, rejected.reason,
        )
        await self._repos.outbox.mark_retry(
            delivery.outbox_id, rejected.reason, self._retry_at(delivery.attempts),
            fence=self._fence,
        )

    def _retry_at(self, attempts: int) -> datetime:
        """Return when to try again after ``attempts`` failures, and wake then to do it."""
        delay = self._timings.retry_delay(attempts)
        self._wake_loop.wake_later(delay.total_seconds())
        return self._clock() + delay

    async def _notify_broken_destination(self, delivery: Delivery, reason: str) -> None:
        """Tell the server's admins, somewhere they can read, that a subscription stopped."""
        guild_id, broken = delivery.guild_id, delivery.channel_id
        target = (await self._repos.server_preferences.get(guild_id)).log_channel_id
        if target is None or target == broken:
            target = await self._sender.fallback_notice_channel(guild_id, broken)
        if target is None:
            log.warning("no channel to tell admins guild_id=%s channel_id=%s", guild_id, broken)
            return
        text = (
            f"⛔ Newsdesk stopped posting **{delivery.feed_title}** in "
            f"{markup.channel(broken)}: {reason} "
            f"Fix it, then run /feed enable subscription:{delivery.subscription_id}."
        )
        await self._repos.notices.queue(
            guild_id, target, text, self._clock(), fence=self._fence
        )

    async def wait_until_delivered(
        self, outbox_ids: Sequence[int], wait_seconds: float,
        nudge: Callable[[], None] = lambda: None,
    ) -> bool:
        """Wait until these rows are finished (sent, skipped or failed), no sent post waits
        for an edit and no notice waits to be sent; False on timeout.

        The deliverer (and ``nudge``, the stages before it) is woken at the start, and again
        whenever a second passes without a delivery round; otherwise the rows are checked
        once after each round, the moment it ends.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        idle = True
        while True:
            rounds = self._wake_loop.rounds
            if not await self._count_unfinished(outbox_ids):
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if idle:
                self.wake()
                nudge()
            idle = not await self._wake_loop.wait_for_round_after(rounds, min(1.0, remaining))

    async def _count_unfinished(self, outbox_ids: Sequence[int]) -> int:
        # A channel's worker records a refusal in steps (the row, the subscription, then the
        # notice to admins): while one runs, what it will queue is not counted yet.
        return (
            len(self._workers)
            or await self._repos.outbox.count_unfinished(outbox_ids)
            or await self._repos.outbox.count_refreshes_waiting()
            or await self._repos.notices.count_unfinished()
        )
