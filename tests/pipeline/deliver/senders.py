"""A sender for deliverer tests: every call a test does not expect fails it; a test's
sender subclasses it and says what it expects."""

from __future__ import annotations

from datetime import datetime

from bot.core.models import ArticleCard, Delivery


class UnexpectedCalls:
    """Fails the test on any call but ``nonce_deduplicates`` (Discord's answer: it does)."""

    async def send_post(
        self, delivery: Delivery, card: ArticleCard, nonce: str, *,
        content: str | None, quotes_button: bool,
    ) -> int:
        raise AssertionError(f"posted outbox row {delivery.outbox_id}")

    async def send_text(self, guild_id: int, channel_id: int, text: str, nonce: str) -> int:
        raise AssertionError(f"sent a notice: {text}")

    async def fallback_notice_channel(self, guild_id: int, avoid_channel_id: int) -> int | None:
        raise AssertionError("looked for a channel to tell admins")

    async def nonce_deduplicates(self, delivery: Delivery) -> bool:
        return True

    async def find_post(self, delivery: Delivery, link: str, since: datetime) -> int | None:
        raise AssertionError("looked for an earlier post")

    async def edit_post(
        self, guild_id: int, channel_id: int, message_id: int, card: ArticleCard, *,
        quotes_of: int | None = None, notify_role: int | None = None,
    ) -> None:
        raise AssertionError("edited a post")

    async def replace_webhook(self, guild_id: int, channel_id: int) -> tuple[int, str]:
        raise AssertionError("replaced a webhook")
