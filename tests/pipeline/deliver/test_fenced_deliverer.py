"""A deliverer that lost its leadership writes nothing more: every write carries its fence.

On PostgreSQL (the only engine with leaders), a lease row says which epoch leads; a write
under an older epoch is refused (``LeadershipLost``) and the rows it claimed stay claimed
for the new leader to give back and send (under the same nonce) or find.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.errors import LeadershipLost
from bot.core.models import ArticleCard, Delivery
from bot.pipeline.deliver.deliverer import Deliverer
from bot.pipeline.timings import PipelineTimings
from storage import Database, Repositories
from storage.leases import Fence
from tests.fixtures.engines import on_postgres
from tests.pipeline.deliver.senders import UnexpectedCalls
from tests.pipeline.deliver.test_broken_destination import (
    NOW,
    queue_two_articles,
    record_reading,
)

pytestmark = on_postgres


async def lead(database: Database, epoch: int) -> Fence:
    """Make ``epoch`` the deliverer's current lease (as a takeover would)."""
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader_leases (name, holder, epoch, expires_at)"
            " VALUES ('deliverer', 'test', ?, 0) ON CONFLICT (name)"
            " DO UPDATE SET epoch = excluded.epoch",
            (epoch,),
        )
    return Fence("deliverer", epoch)


async def queue_two_posts(repositories: Repositories) -> list[int]:
    created = await queue_two_articles(repositories)
    for unread in await repositories.stories.unread(10):
        await record_reading(repositories, unread.article.id)
    return created


async def test_a_stale_fence_claims_and_records_nothing(
    repositories: Repositories, database: Database
) -> None:
    first, _second = await queue_two_posts(repositories)
    stale = await lead(database, 1)
    current = await lead(database, 2)
    with pytest.raises(LeadershipLost):
        await repositories.outbox.claim(NOW, 10, stale)
    (claimed,) = await repositories.outbox.claim(NOW, 10, current)
    assert claimed.outbox_id == first
    with pytest.raises(LeadershipLost):
        await repositories.outbox.mark_sent(first, 42, NOW, fence=stale)
    with pytest.raises(LeadershipLost):
        await repositories.notices.claim(NOW, 10, stale)
    await repositories.outbox.mark_sent(first, 42, NOW, fence=current)
    status = await repositories.outbox.status(first)
    assert status is not None and status.message_id == 42


class TakenOverMidSend(UnexpectedCalls):
    """Posts fine, but another deliverer takes the lease over while the post is in flight."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.sent: list[int] = []

    async def send_post(
        self, delivery: Delivery, card: ArticleCard, nonce: str, *,
        content: str | None, quotes_button: bool,
    ) -> int:
        await lead(self._database, 2)
        self.sent.append(delivery.outbox_id)
        return 7000 + delivery.outbox_id

    async def fallback_notice_channel(self, guild_id: int, avoid_channel_id: int) -> int | None:
        return None

    async def find_post(self, delivery: Delivery, link: str, since: datetime) -> int | None:
        return None


async def test_a_deliverer_that_lost_the_lease_leaves_its_row_claimed_for_the_next(
    repositories: Repositories, database: Database
) -> None:
    first, second = await queue_two_posts(repositories)
    sender = TakenOverMidSend(database)
    deliverer = Deliverer(
        repositories, sender, lambda: NOW, timings=PipelineTimings(),
        fence=await lead(database, 1),
    )
    assert await deliverer.deliver_ready() == 1
    while deliverer._workers:
        await next(iter(deliverer._workers))

    assert sender.sent == [first]
    states = [await repositories.outbox.status(row) for row in (first, second)]
    # Not recorded as sent, not counted as a crash; the next row was not claimed.
    assert [(s.state.value, s.message_id, s.failure) for s in states if s] == [
        ("sending", None, None), ("pending", None, None)
    ]
    # The new leader gives the row back as one whose send may have reached Discord.
    assert await repositories.outbox.release_interrupted(Fence("deliverer", 2)) == 1
    (again,) = await repositories.outbox.claim(NOW, 10, Fence("deliverer", 2))
    assert (again.outbox_id, again.send_began_at) == (first, NOW)


async def test_a_stale_fence_neither_disables_a_subscription_nor_replaces_a_webhook(
    repositories: Repositories, database: Database
) -> None:
    await queue_two_posts(repositories)
    (claimed,) = await repositories.outbox.claim(NOW, 10, await lead(database, 1))
    assert claimed.subscription_id is not None
    stale, current = Fence("deliverer", 1), await lead(database, 2)
    with pytest.raises(LeadershipLost):
        await repositories.subscriptions.disable(
            claimed.guild_id, claimed.subscription_id, "gone", fence=stale
        )
    with pytest.raises(LeadershipLost):
        await repositories.subscriptions.replace_channel_webhook(
            claimed.guild_id, claimed.channel_id, 1, (2, "token"), fence=stale
        )
    status = await repositories.outbox.status(claimed.outbox_id)
    assert status is not None and status.state.value == "sending", "the stale disable wrote"
    listed = await repositories.subscriptions.get(claimed.guild_id, claimed.subscription_id)
    assert listed is not None and listed.subscription.enabled
    await repositories.subscriptions.disable(
        claimed.guild_id, claimed.subscription_id, "gone", fence=current
    )
    listed = await repositories.subscriptions.get(claimed.guild_id, claimed.subscription_id)
    assert listed is not None and not listed.subscription.enabled
