"""The few places where SQLite's and PostgreSQL's SQL disagree, as small text helpers.

Repositories write one SQL text for both engines; where the dialects differ on an
expression, the text comes from the database's ``dialect`` instead of being written twice.
Each helper returns SQL text with SQLite-style ``?`` placeholders (``in_list`` also returns
the parameters that go with them), so the statement still goes through the one
placeholder conversion of the PostgreSQL engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Dialect:
    """SQLite's spelling (the default engine)."""

    name = "sqlite"

    @property
    def is_postgres(self) -> bool:
        """Return whether this is PostgreSQL's dialect."""
        return self.name == "postgresql"

    def in_list(self, expression: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """Return ``expression IN (?, ?, …)`` and its parameters (``values`` not empty)."""
        if not values:
            raise ValueError("an IN list needs at least one value")
        return f"{expression} IN ({', '.join('?' * len(values))})", list(values)

    def not_in_list(self, expression: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """Return ``expression NOT IN (?, ?, …)`` and its parameters (``values`` not empty)."""
        if not values:
            raise ValueError("a NOT IN list needs at least one value")
        return f"{expression} NOT IN ({', '.join('?' * len(values))})", list(values)

    def greatest(self, *expressions: str) -> str:
        """Return the largest of the expressions (SQLite: the scalar ``MAX``)."""
        return f"MAX({', '.join(expressions)})"

    def least(self, *expressions: str) -> str:
        """Return the smallest of the expressions (SQLite: the scalar ``MIN``)."""
        return f"MIN({', '.join(expressions)})"

    def case_folded(self, expression: str) -> str:
        """Return ``expression`` compared and sorted without regard to (ASCII) case."""
        return f"{expression} COLLATE NOCASE"

    def any_true(self, condition: str) -> str:
        """Return an aggregate that is 1 when ``condition`` holds for some row, else 0
        (NULL over no rows)."""
        return f"MAX({condition})"

    def same_as(self, left: str, right: str) -> str:
        """Return an equality that is true when both sides are NULL too."""
        return f"{left} IS {right}"

    def skip_locked(self, alias: str) -> str:
        """Return the clause that ends a ``SELECT`` whose rows ``alias`` are about to be
        claimed: on PostgreSQL it locks them and skips rows another claimer holds, so two
        claimers never wait on each other; SQLite has one writer, so nothing."""
        return ""

    def epoch_now(self) -> str:
        """Return the database's clock as epoch seconds (leases shared by several processes
        are timed by the one clock they share, never a process's own)."""
        return "((julianday('now') - 2440587.5) * 86400.0)"


class PostgresDialect(Dialect):
    """PostgreSQL's spelling."""

    name = "postgresql"

    def in_list(self, expression: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """Return ``expression = ANY(?)``: one array parameter, one prepared statement
        whatever the number of values."""
        if not values:
            raise ValueError("an IN list needs at least one value")
        return f"{expression} = ANY(?)", [list(values)]

    def not_in_list(self, expression: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """Return ``expression <> ALL(?)`` with one array parameter."""
        if not values:
            raise ValueError("a NOT IN list needs at least one value")
        return f"{expression} <> ALL(?)", [list(values)]

    def greatest(self, *expressions: str) -> str:
        """Return ``GREATEST(…)``."""
        return f"GREATEST({', '.join(expressions)})"

    def least(self, *expressions: str) -> str:
        """Return ``LEAST(…)``."""
        return f"LEAST({', '.join(expressions)})"

    def case_folded(self, expression: str) -> str:
        """Return ``lower(expression)`` in byte order, as SQLite's NOCASE sorts."""
        return f'lower({expression}) COLLATE "C"'

    def any_true(self, condition: str) -> str:
        """Return ``bool_or`` as 0 or 1."""
        return f"CAST(bool_or({condition}) AS INTEGER)"

    def same_as(self, left: str, right: str) -> str:
        """Return ``IS NOT DISTINCT FROM``."""
        return f"{left} IS NOT DISTINCT FROM {right}"

    def skip_locked(self, alias: str) -> str:
        """Return `` FOR UPDATE OF alias SKIP LOCKED``."""
        return f" FOR UPDATE OF {alias} SKIP LOCKED"

    def epoch_now(self) -> str:
        """Return ``clock_timestamp()`` (the time now, not the transaction's start) as epoch
        seconds."""
        return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


SQLITE = Dialect()
POSTGRES = PostgresDialect()
