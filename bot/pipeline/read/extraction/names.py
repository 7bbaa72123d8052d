"""Name patterns shared by the quote and entity steps, and surname resolution.

Rules:

- A name is a run of one to five capitalised words, with lower-case particles allowed
  inside (de, van, von, bin, al-, da, di, la, le, der, del, dos); words may carry
  apostrophes and hyphens ("O'Neill", "Jean-Luc").
- A clause-opening word ("But", "The", "In", "When", ...) is not part of a name.
- A later mention by one word ("Zhang", "Fung") is the earlier full name that has that
  word as its last or first word (family names come first in Chinese, Korean and
  Hungarian names), provided exactly one known full name fits.
"""

from __future__ import annotations

from collections.abc import Iterable

NAME_WORD = r"[A-ZÀ-ÞĀ-Ž][\w’'\-]*[\w]"
PARTICLE = r"(?:de|da|di|du|del|della|der|den|van|von|bin|bint|al|el|la|le|dos|das|ibn)"
NAME = rf"{NAME_WORD}(?:\s+(?:{PARTICLE}\s+)?{NAME_WORD}){{0,4}}"
CLAUSE_OPENERS = frozenset(
    [
        "a",
        "an",
        "the",
        "but",
        "and",
        "or",
        "so",
        "yet",
        "if",
        "when",
        "while",
        "as",
        "in",
        "on",
        "at",
        "for",
        "from",
        "of",
        "by",
        "to",
        "after",
        "before",
        "since",
        "although",
        "though",
        "because",
        "however",
        "meanwhile",
        "still",
        "also",
        "then",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "my",
        "your",
        "last",
        "next",
        "more",
        "most",
        "some",
        "many",
        "several",
        "other",
        "others",
        "such",
        "what",
        "who",
        "which",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
    ]
)
PRONOUNS = frozenset(["he", "she", "they", "it", "we", "i"])


def strip_clause_opener(name: str) -> str:
    """Return ``name`` without leading clause-opening words ("But Zhang" -> "Zhang")."""
    words = name.split()
    while words and words[0].lower() in CLAUSE_OPENERS:
        words.pop(0)
    return " ".join(words)


def resolve_surname(name: str, full_names: Iterable[str]) -> str:
    """Return the one known full name that ``name`` (a single word) stands for, else ``name``."""
    if " " in name:
        return name
    full = [candidate for candidate in dict.fromkeys(full_names) if " " in candidate]
    by_last = [candidate for candidate in full if candidate.split()[-1] == name]
    if len(by_last) == 1:
        return by_last[0]
    by_first = [candidate for candidate in full if candidate.split()[0] == name]
    if not by_last and len(by_first) == 1:
        return by_first[0]
    return name
