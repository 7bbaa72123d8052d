"""The name a webhook post shows: a feed's title, made into a name Discord accepts.

Discord refuses a webhook name (or an execution's ``username``) that is not 1-80 characters or
that contains "discord" or "clyde" in any case; a refused name fails the post, and a
subscription whose posts keep failing is disabled. Feed titles come from anyone, so:

- Invisible characters go (controls, zero-width and other format characters, Hangul
  fillers): they hide nothing any more, and cannot split a word Discord would still read.
- A forbidden word is found however it is spelled: any case, fullwidth forms (``ｄｉｓｃｏｒｄ``),
  letters of other scripts that look the same (Cyrillic ``С``, Greek ``ο``…), ``I`` for ``l``.
  Its second letter becomes ``1`` (``DISCORD Weekly`` -> ``D1SCORD Weekly``): the title stays
  readable and the name is accepted.
- Spaces are collapsed; a name over 80 characters is cut at a word with an ellipsis; a blank
  name becomes ``DEFAULT_WEBHOOK_NAME``.
"""

from __future__ import annotations

import re
import unicodedata

from bot.core.text import trim_text

WEBHOOK_NAME_LIMIT = 80
DEFAULT_WEBHOOK_NAME = "Newsdesk"

# Characters that render as nothing (or as blank space that is not a space).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

# After case folding and NFKC: letters of other scripts that look like the Latin letters of
# the forbidden words. (Digits are left alone: "d1scord" is how a name is made safe.)
_LOOK_ALIKES = str.maketrans({
    "с": "c", "ϲ": "c", "ᴄ": "c",  # Cyrillic es, Greek lunate sigma, small capital C
    "ԁ": "d",  # Cyrillic komi de
    "е": "e", "є": "e", "ҽ": "e", "ε": "e",  # Cyrillic ie and ukrainian ie, abkhasian che, Greek
    "і": "i", "ι": "i", "ı": "i", "ɩ": "i", "ӏ": "l", "ǀ": "l", "|": "l",
    "о": "o", "ο": "o", "օ": "o", "ᴏ": "o",  # Cyrillic, Greek, Armenian, small capital
    "г": "r",  # Cyrillic ghe
    "ѕ": "s", "ꜱ": "s",  # Cyrillic dze, small capital S
    "у": "y", "ү": "y", "γ": "y", "ʏ": "y",  # Cyrillic u and straight u, Greek gamma
})  # fmt: skip
# "i" and "l" (and capital I, folded to "i") stand for each other in either word.
_FORBIDDEN = re.compile("d[il]scord|c[il]yde")


def _is_invisible(character: str) -> bool:
    return unicodedata.category(character) in _INVISIBLE_CATEGORIES or character in _BLANK_LETTERS


def _skeleton(name: str) -> tuple[str, list[int]]:
    """Return how ``name`` reads (folded, look-alikes made Latin, combining marks dropped)
    and, for each character of that reading, the position in ``name`` it comes from."""
    letters: list[str] = []
    origins: list[int] = []
    for position, character in enumerate(name):
        for folded in unicodedata.normalize("NFKC", character).casefold():
            if unicodedata.category(folded) in ("Mn", "Me") or _is_invisible(folded):
                continue
            letters.append(folded.translate(_LOOK_ALIKES))
            origins.append(position)
    return "".join(letters), origins


def _defused(name: str) -> str:
    """Rewrite every forbidden word of ``name`` until none is left."""
    while True:
        reading, origins = _skeleton(name)
        found = _FORBIDDEN.search(reading)
        if found is None:
            return name
        second = origins[found.start() + 1]
        name = f"{name[:second]}1{name[second + 1:]}"


def webhook_name(title: str) -> str:
    """Return the name Discord accepts for posts of a feed titled ``title`` (see the rules)."""
    spaced = " ".join(title.split())  # tabs and newlines are spaces, not invisible
    visible = "".join(character for character in spaced if not _is_invisible(character))
    name = _defused(" ".join(visible.split()))
    name = trim_text(name, WEBHOOK_NAME_LIMIT)
    # Cutting only removes characters, but a last check costs nothing.
    return _defused(name) or DEFAULT_WEBHOOK_NAME
