"""The error family Newsdesk raises on purpose.

Rule: a ``UserError`` carries a message written for the person who typed the command: one
clear sentence that says what went wrong and what to do. The command tree's one error
handler (``cogs.backend.errors``) shows it ephemerally. Any other exception is a bug: it is logged
with context and the user gets a generic apology, never the raw text.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message is safe and useful to show to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(UserError):
    """The user lacks the permission a command needs."""


class NotFound(UserError):
    """The thing the user named does not exist in this server."""


class LimitReached(UserError):
    """A per-server limit would be exceeded."""


class InvalidInput(UserError):
    """An option's value cannot be used as given."""


class FetchError(UserError):
    """A URL could not be fetched; ``retry_after`` is set when the server asked us to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FeedParseError(UserError):
    """A fetched document is not a feed that can be read."""


class StorageUnavailable(UserError):
    """The database could not take a write now (disk full, or locked for too long)."""


class LoginRefused(UserError):
    """Discord refused to let the bot log in (a bad token, or an intent not granted)."""


class DatabaseTooNew(Exception):
    """The database was written by a newer Newsdesk; refusing to run protects it."""
