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


class NoSuchSubscription(NotFound):
    """The server has no subscription with the number a member gave (or it is another's)."""

    def __init__(self, number: int) -> None:
        super().__init__(
            f"This server has no subscription #{number}. Use /feed list to see the numbers."
        )
        self.number = number


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


class PageNotRead(UserError):
    """A fetched page could not be read within the reading budget (too slow, or its reader
    process stopped)."""


class StorageUnavailable(UserError):
    """The database could not take a write now (disk full, or locked for too long)."""


class StorageFull(StorageUnavailable):
    """The disk under the database is full: the write was rolled back."""

    def __init__(self) -> None:
        super().__init__(
            "Newsdesk could not save that because its storage is full. Nothing was changed; "
            "try again once the bot's operator has freed space."
        )


class StorageBusy(StorageUnavailable):
    """The database stayed locked by another writer past the busy timeout."""

    def __init__(self) -> None:
        super().__init__(
            "Newsdesk is busy saving other changes right now. Nothing was changed; try again "
            "in a moment."
        )


class LoginRefused(UserError):
    """Discord refused to let the bot log in (a bad token, or an intent not granted)."""


class ServerLimitReached(Exception):
    """Storage refused a row: the server already has ``count`` of them, ``limit`` at most.

    Raised by storage, which writes no sentences; the service that asked says it to the user.
    """

    counted = "rows"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"server has {count} {self.counted}, limit {limit}")
        self.count = count
        self.limit = limit


class FilterLimitReached(ServerLimitReached):
    """Storage refused a filter rule: the server has as many as it may."""

    counted = "filter rules"


class SubscriptionLimitReached(ServerLimitReached):
    """Storage refused a subscription: the server follows as many distinct feeds as it may."""

    counted = "feeds"


class DatabaseTooNew(Exception):
    """The database was written by a newer Newsdesk; refusing to run protects it."""


class DatabaseUnreachable(UserError):
    """The PostgreSQL database named by NEWSDESK_DB could not be reached or opened."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(
            f"Newsdesk could not open the PostgreSQL database at {address} ({reason}). "
            "Check that the server runs, that the database exists and that NEWSDESK_DB "
            "names them."
        )


class DatabaseUnusable(UserError):
    """The SQLite database file cannot be used: damaged, not a database, or not writable."""

    def __init__(self, path: str, *, damaged: bool) -> None:
        if damaged:
            message = (
                f"The database file {path} is damaged or is not a Newsdesk database, so "
                "Newsdesk will not touch it: restore it from a backup, or set NEWSDESK_DB "
                "(or --db) to a new file."
            )
        else:
            message = (
                f"Newsdesk cannot write to the database file {path}: make the file and its "
                "folder writable by this user, or set NEWSDESK_DB (or --db) to a file that is."
            )
        super().__init__(message)


class LeadershipLost(Exception):
    """Another process leads this role now: the stale leader's write was refused."""

    def __init__(self, role: str) -> None:
        super().__init__(f"leadership of {role} moved to another process")
        self.role = role
