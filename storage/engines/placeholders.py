"""The one place where SQL written with SQLite's placeholders becomes PostgreSQL's.

Repositories write one SQL text for both engines, with ``?`` (positional) or ``:name``
(named) placeholders as SQLite takes them. PostgreSQL (asyncpg) takes ``$1``, ``$2``…: this
module rewrites the text once per distinct statement (cached) and lines the parameters up.
Placeholders inside string literals, quoted names and comments are left alone, and ``::``
(a PostgreSQL cast) is not a named placeholder.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A statement hands back rows when it is a query or says RETURNING; otherwise only a status
# ("UPDATE 3") whose count is the cursor's rowcount.
_QUERY_START = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW|TABLE)\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


@dataclass(frozen=True)
class PostgresStatement:
    """A statement rewritten for PostgreSQL and how to line its parameters up."""

    text: str
    names: tuple[str, ...] | None  # the name behind each $n; None when positional
    count: int
    returns_rows: bool

    def arguments(self, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...]:
        """Return the parameters in ``$n`` order.

        Raises:
            ValueError: the parameters do not fit the placeholders.
        """
        if self.names is not None:
            if not isinstance(params, Mapping):
                raise ValueError("a statement with :name placeholders takes a mapping")
            return tuple(params[name] for name in self.names)
        if isinstance(params, Mapping):
            if self.count or params:
                raise ValueError("a statement with ? placeholders takes a sequence")
            return ()
        if len(params) != self.count:
            raise ValueError(f"the statement has {self.count} placeholders, not {len(params)}")
        return tuple(params)


@functools.lru_cache(maxsize=4096)
def to_postgres(sql: str) -> PostgresStatement:
    """Rewrite ``?`` and ``:name`` placeholders as ``$n``.

    Raises:
        ValueError: the statement mixes both placeholder styles.
    """
    out: list[str] = []
    code: list[str] = []  # the text outside literals and comments
    names: list[str] = []
    positional = 0
    index = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        if char in "'\"":
            end = _quoted_end(sql, index, char)
            out.append(sql[index:end])
            index = end
            continue
        if sql.startswith("--", index):
            end = sql.find("\n", index)
            end = length if end < 0 else end
            out.append(sql[index:end])
            index = end
            continue
        if sql.startswith("/*", index):
            end = sql.find("*/", index + 2)
            end = length if end < 0 else end + 2
            out.append(sql[index:end])
            index = end
            continue
        if char == "?":
            positional += 1
            out.append(f"${positional}")
            index += 1
            continue
        if char == ":" and sql.startswith("::", index):
            out.append("::")
            code.append("::")
            index += 2
            continue
        if char == ":" and index + 1 < length and _NAME_START.match(sql[index + 1]):
            match = _NAME.match(sql, index + 1)
            assert match is not None
            name = match.group(0)
            if name not in names:
                names.append(name)
            out.append(f"${names.index(name) + 1}")
            index = match.end()
            continue
        out.append(char)
        code.append(char)
        index += 1
    if positional and names:
        raise ValueError("a statement uses either ? or :name placeholders, not both")
    plain = "".join(code)
    return PostgresStatement(
        text="".join(out),
        names=tuple(names) if names else None,
        count=len(names) or positional,
        returns_rows=bool(_QUERY_START.match(plain) or _RETURNING.search(plain)),
    )


def _quoted_end(sql: str, start: int, quote: str) -> int:
    """Return the index just past the literal or quoted name opening at ``start`` (a doubled
    quote inside it is an escaped quote)."""
    index = start + 1
    while True:
        found = sql.find(quote, index)
        if found < 0:
            return len(sql)
        if sql.startswith(quote * 2, found):
            index = found + 2
            continue
        return found + 1
