"""Authors: a byline names a person or a named desk, never a generic account.

Rules:

- "By", "Von", "Par", "Por", "Posted by", "Written by" prefixes are dropped.
- Generic accounts are not authors: admin, administrator, editor(s), staff, webmaster,
  newsroom, news desk, web desk, team or "<anything> team/staff", guest, author, user,
  root, contributor, moderator, redaktion, rédaction, redacción, redazione, redakcja, and
  e-mail addresses or URLs. Such a byline gives ``None``.
- Several authors separated by ``;`` keep only the real ones; the result is joined by "; ".
"""

from __future__ import annotations

import re

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
