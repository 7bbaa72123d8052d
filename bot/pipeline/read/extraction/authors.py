"""Authors: a byline names a person or a named desk, never a generic account.

Rules:

- "By", "Von", "Par", "Por", "Posted by", "Written by" prefixes are dropped.
- Generic accounts are not authors: admin, administrator, editor(s), staff, webmaster,
  newsroom, news desk, web desk, team or "<anything> team/staff", guest, author, user,
  root, contributor, moderator, redaktion, rédaction, redacción, redazione, redakcja, and
  e-mail addresses or URLs. Such a byline gives ``None``.
- Several authors separated by ``;`` keep only the real ones; the result is joined by "; ".
- trafilatura drops digits from bylines ("Reporter 36" becomes "Reporter"); when a byline the
  page or feed declares is that same name with its digits, the declared one is kept
  (``with_declared_digits``); trafilatura finding no byline falls back on the declared ones
  (``choose_author``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

GENERIC_AUTHORS = frozenset(
    {
        "admin",
        "administrator",
        "site admin",
        "editor",
        "editors",
        "the editors",
        "editorial",
        "editorial staff",
        "editorial team",
        "staff",
        "staff writer",
        "staff reporter",
        "webmaster",
        "newsroom",
        "news desk",
        "newsdesk",
        "web desk",
        "webdesk",
        "desk",
        "team",
        "guest",
        "guest author",
        "author",
        "user",
        "root",
        "contributor",
        "moderator",
        "redaktion",
        "online-redaktion",
        "rédaction",
        "la rédaction",
        "redacción",
        "redazione",
        "redakcja",
        "wp",
        "wordpress",
        "anonymous",
        "unknown",
        "null",
        "none",
    }
)
_PREFIX = re.compile(r"^(?:posted by|written by|by|von|par|por|di|autor:?|author:?)\s+", re.I)
_GENERIC_SUFFIX = re.compile(r"\b(?:team|staff|desk|redaktion|admin)$", re.I)
_CONTACT = re.compile(r"@|https?://|www\.", re.I)


def _is_generic(name: str) -> bool:
    lowered = name.lower().strip(" .")
    return (
        not lowered
        or lowered in GENERIC_AUTHORS
        or bool(_GENERIC_SUFFIX.search(lowered))
        or bool(_CONTACT.search(lowered))
        or not any(character.isalpha() for character in lowered)
    )


def clean_author(byline: str | None) -> str | None:
    """Return the author named by ``byline``, or None for a generic account or nothing."""
    if not byline:
        return None
    names = []
    for part in byline.split(";"):
        name = _PREFIX.sub("", " ".join(part.split())).strip(" ,|")
        if not _is_generic(name):
            names.append(name)
    return "; ".join(names) or None


def is_generic_author(name: str) -> bool:
    """Return True when ``name`` is a generic account such as "admin" or "News Desk"."""
    return _is_generic(_PREFIX.sub("", " ".join(name.split())))


_DIGITS = re.compile(r"\d")


def _without_digits(name: str) -> str:
    return " ".join(_DIGITS.sub("", name).split()).casefold()


def with_declared_digits(byline: str | None, declared: Iterable[str | None]) -> str | None:
    """Return the declared byline ``byline`` was made from by dropping its digits, if any
    ("Reporter" with "Reporter 36" declared gives "Reporter 36"), else ``byline``."""
    if not byline:
        return byline
    wanted = _without_digits(_PREFIX.sub("", byline))
    for candidate in declared:
        if candidate and _DIGITS.search(candidate):
            named = " ".join(_PREFIX.sub("", " ".join(candidate.split())).split()).strip(" ,|")
            if _without_digits(named) == wanted:
                return named
    return byline


def choose_author(byline: str | None, declared: Iterable[str | None]) -> str | None:
    """Return the article's author: trafilatura's ``byline`` (with the digits it dropped put
    back), else the first real byline the page or feed declares."""
    names = list(declared)
    return clean_author(with_declared_digits(byline, names)) or next(
        (author for name in names if (author := clean_author(name))), None
    )
