"""Plain-text shaping shared by every reply and post: trimming and joining within a limit.

Rules: text is trimmed, never refused; a cut is marked with an ellipsis and falls on a word
boundary (or a sentence boundary, for summaries) when one is near; a list too long for one
message keeps whole items and says how many were left out, or is split into pages that each
fit one message (``split_into_pages``) when the reply can offer page buttons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MESSAGE_LIMIT = 2000
"""Characters in one Discord message: every reply and post text is shaped to fit it."""

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")

INVISIBLE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls, but tab and line breaks
    "\u00ad\u034f\u061c"  # soft hyphen, combining grapheme joiner, Arabic letter mark
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers (blank letters)
    "\u17b4\u17b5\u180b-\u180f"  # Khmer inherent vowels, Mongolian selectors and separator
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"  # zero-width, bidi marks,
    "\ufeff\ufff9-\ufffb\U0001d173-\U0001d17a]"  # embeddings, overrides, isolates; BOM…
)
"""Characters that show nothing but can hide or reorder text: controls (tab and line breaks
aside), zero-width characters, bidirectional marks, embeddings, overrides and isolates, blank
letters, the BOM and other format characters."""


def without_invisible(text: str) -> str:
    """Return ``text`` without its invisible characters (``INVISIBLE_CHARACTERS``)."""
    return INVISIBLE_CHARACTERS.sub("", text)


def trim_text(text: str, limit: int) -> str:
    """Trim ``text`` to ``limit`` characters at a word boundary, adding an ellipsis if cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def trim_to_sentence(text: str, limit: int) -> str:
    """Trim ``text`` to ``limit`` characters, preferring to end on a whole sentence."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    ends = [match.end() for match in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]]
    return trim_text(text, limit)


def join_within_limit(blocks: Sequence[str], separator: str) -> str:
    """Join whole blocks while they fit one message, then say how many were left out."""
    kept: list[str] = []
    used = 0
    for position, block in enumerate(blocks):
        cost = len(block) + (len(separator) if kept else 0)
        if used + cost > MESSAGE_LIMIT - 40:
            kept.append(f"…and {len(blocks) - position} more.")
            break
        kept.append(block)
        used += cost
    return separator.join(kept)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """Return "1 error", "2 errors" (or ``many`` when the plural is not ``noun`` + "s")."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


PAGE_MARK_ROOM = 40
"""Characters kept free on every page for its "Page 2 of 3" line."""


def split_into_pages(header: str, blocks: Sequence[str], separator: str) -> list[str]:
    """Split whole blocks into pages that each fit one message, ``header`` atop each.

    A block too long for a page on its own is trimmed; with more than one page each ends
    with "Page n of N", so the buttons that turn them have a place to say where one is.
    """
    room = MESSAGE_LIMIT - len(header) - len(separator) - PAGE_MARK_ROOM
    pages: list[list[str]] = [[]]
    used = 0
    for whole in blocks:
        block = trim_text(whole, room)
        if pages[-1] and used + len(separator) + len(block) > room:
            pages.append([])
            used = 0
        used += len(block) + (len(separator) if pages[-1] else 0)
        pages[-1].append(block)
    top = [header] if header else []
    if len(pages) == 1:
        return [separator.join(top + pages[0])]
    return [
        separator.join([*top, *page, f"*Page {number} of {len(pages)}*"])
        for number, page in enumerate(pages, start=1)
    ]
