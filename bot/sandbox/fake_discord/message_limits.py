"""Discord's message limits: the names other modules import, kept where they always were.

Every limit and check now lives in `discord_limits.py` (one module for all of them).
"""

from bot.sandbox.fake_discord.discord_limits import (
    CHOICES_LIMIT,
    CONTENT_LIMIT,
    EMBEDS_LIMIT,
    FIELDS_LIMIT,
    TOTAL_EMBED_LIMIT,
    check_autocomplete,
    check_message,
    check_modal,
    embed_text_size,
    is_empty_message,
    message_body_errors,
)

__all__ = [
    "CHOICES_LIMIT",
    "CONTENT_LIMIT",
    "EMBEDS_LIMIT",
    "FIELDS_LIMIT",
    "TOTAL_EMBED_LIMIT",
    "check_autocomplete",
    "check_message",
    "check_modal",
    "embed_text_size",
    "is_empty_message",
    "message_body_errors",
]
