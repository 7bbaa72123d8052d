"""Attempts to read an article: how many it gets, and what its posts say when it runs out.

Rules:
- An attempt is counted as it begins (``StoryRepository.begin_reading``), so one the process
  never finishes (killed, out of memory) counts too. A shutdown gives its attempts back.
- An attempt covers the whole way from the page to the decision: a story desk that cannot
  decide a reading sends it back to be read again, as a failed attempt.
- After ``MAX_READ_ATTEMPTS`` the article is given up: its waiting posts fail with the reason
  (``/feed why`` shows it) and its channels move on.
"""

from __future__ import annotations

from bot.core.errors import UserError

MAX_READ_ATTEMPTS = 3
STOPPED_WHILE_READING = "Newsdesk stopped while reading it"
INTERNAL_ERROR = "an internal error (logged)"


def give_up_reason(last_failure: str) -> str:
    """Say why an article will not be posted after its last failed attempt to read it."""
    return (
        f"Newsdesk could not read this article in {MAX_READ_ATTEMPTS} attempts "
        f"({last_failure.rstrip('.')}), so it gave up on it."
    )


def failure_reason(error: Exception) -> str:
    """Say why an attempt failed: a user error's sentence, else that it was a bug."""
    return error.message if isinstance(error, UserError) else INTERNAL_ERROR
