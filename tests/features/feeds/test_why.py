"""``/feed why``: one plain sentence per subscription for each state an article can be in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import ArticleTrace, OutboxState
from bot.features.feeds.why import explain_trace, explain_traces

GUILD = 100
CHANNEL = 200
FOLLOWED_AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
FOLLOWED_EPOCH = int(FOLLOWED_AT.timestamp())

TRACE = ArticleTrace(
    article_id=1, title="Bridge opens", url="https://news.example/bridge",
    feed_title="Example News", first_seen_at=FOLLOWED_AT + timedelta(hours=1),
    subscription_id=7, channel_id=CHANNEL, subscription_created_at=FOLLOWED_AT,
    subscription_enabled=True, outbox_state=None, message_id=None, failure=None,
)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        (
            {"outbox_state": OutboxState.SENT, "message_id": 300},
            "Posted in <#200> from **Example News**: https://discord.com/channels/100/200/300",
        ),
        (
            {"outbox_state": OutboxState.PENDING},
            "Queued for <#200> from **Example News**; it will be posted shortly.",
        ),
        (
            {"outbox_state": OutboxState.SENDING},
            "Queued for <#200> from **Example News**; it will be posted shortly.",
        ),
        (
            {"outbox_state": OutboxState.WAITING},
            "Being read for <#200> from **Example News**; it will be posted shortly.",
        ),
        (
            {"outbox_state": OutboxState.SKIPPED,
             "failure": "filtered: excluded by word “bridge”"},
            "Not posted in <#200> from **Example News**: filtered: excluded by word “bridge”.",
        ),
        (
            {"outbox_state": OutboxState.SKIPPED, "failure": "a copy", "story_message_id": 301},
            "Not posted again in <#200>: it is a copy of a story already posted there, and "
            "**Example News** was added to that post: https://discord.com/channels/100/200/301",
        ),
        (
            {"outbox_state": OutboxState.SKIPPED, "failure": None},
            "Not posted in <#200> from **Example News**: skipped.",
        ),
        (
            {"outbox_state": OutboxState.FAILED, "failure": "Discord answered 500."},
            "Could not be posted in <#200> from **Example News**: Discord answered 500.",
        ),
        (
            {"outbox_state": OutboxState.FAILED},
            "Could not be posted in <#200> from **Example News**: unknown",
        ),
        (
            {"first_seen_at": FOLLOWED_AT},
            "Not posted in <#200>: it was already in **Example News** when the channel started "
            f"following it (<t:{FOLLOWED_EPOCH}:f> (<t:{FOLLOWED_EPOCH}:R>)), and Newsdesk "
            "never posts a feed's backlog.",
        ),
        (
            {"subscription_enabled": False},
            "Not posted in <#200>: posting **Example News** there is turned off.",
        ),
        (
            {},
            "Not posted in <#200> from **Example News**, and Newsdesk kept no reason.",
        ),
    ],
    ids=[
        "sent", "pending", "sending", "waiting", "filtered", "copy", "skipped", "failed",
        "failed-unknown", "backlog", "disabled", "no-row",
    ],
)
def test_each_state_is_one_sentence(changes: dict[str, object], said: str) -> None:
    assert explain_trace(GUILD, replace(TRACE, **changes)) == said  # type: ignore[arg-type]


def test_a_sent_post_without_its_message_is_not_called_posted() -> None:
    trace = replace(TRACE, outbox_state=OutboxState.SENT, message_id=None)
    assert explain_trace(GUILD, trace) == (
        "Not posted in <#200> from **Example News**, and Newsdesk kept no reason."
    )


def test_a_long_feed_title_is_trimmed() -> None:
    trace = replace(TRACE, feed_title="N" * 120, outbox_state=OutboxState.PENDING)
    said = explain_trace(GUILD, trace)
    assert "N" * 81 not in said
    assert said.startswith("Queued for <#200> from **NNN")


def test_every_subscription_gets_its_line_under_the_title() -> None:
    other = replace(TRACE, channel_id=201, outbox_state=OutboxState.SENT, message_id=302)
    assert explain_traces(GUILD, "https://news.example/bridge", [TRACE, other]).splitlines() == [
        "**Bridge opens**",
        "Not posted in <#200> from **Example News**, and Newsdesk kept no reason.",
        "Posted in <#201> from **Example News**: https://discord.com/channels/100/201/302",
    ]


def test_an_address_no_feed_carried_is_not_seen() -> None:
    assert explain_traces(GUILD, "https://elsewhere.example/x", []) == (
        "Newsdesk has not seen <https://elsewhere.example/x> in any feed this server follows. "
        "If it is new, the feed may not have published it yet; /feed refresh checks a feed now."
    )
