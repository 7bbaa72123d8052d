"""Which of Discord's refusals stop a subscription, which fail one post, which are retried."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.discord_io.sender import rejection


def refusal(status: int, code: int, message: str) -> discord.HTTPException:
    response: Any = SimpleNamespace(status=status, reason="refused")
    kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    return kind(response, {"code": code, "message": message})


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (404, 10003, "Unknown Channel"),
        (403, 50001, "Missing Access"),
        (403, 50013, "Missing Permissions"),
        (404, 10015, "Unknown Webhook"),
    ],
)
def test_a_refused_destination_stops_the_subscription(
    status: int, code: int, message: str
) -> None:
    rejected = rejection(refusal(status, code, message), "it lacks Send Messages there.")
    assert rejected.permanent and not rejected.article_only
    assert rejected.webhook_gone is (code == 10015)
    if code == 10003:
        assert rejected.reason == "the channel no longer exists."
    if status == 403:
        assert rejected.reason == "it lacks Send Messages there."


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, 200000, "Message was blocked by automatic moderation"),
        (400, 160006, "Maximum number of active threads reached"),
        (400, 50035, "Invalid Form Body"),
        (400, 40067, "A tag is required to create a forum post in this channel"),
    ],
)
def test_a_refused_post_fails_alone_with_discords_reason(
    status: int, code: int, message: str
) -> None:
    rejected = rejection(refusal(status, code, message), "unused")
    assert rejected.article_only and not rejected.permanent
    assert rejected.reason == f"Discord refused this post: {message} (code {code})."


@pytest.mark.parametrize(("status", "code"), [(429, 0), (500, 0), (503, 0), (401, 0)])
def test_passing_failures_are_retried(status: int, code: int) -> None:
    rejected = rejection(refusal(status, code, "busy"), "unused")
    assert not rejected.permanent and not rejected.article_only
