"""Name patterns shared by the quote and entity steps, and surname resolution.

Rules:

- A name is a run of one to five capitalised words, with lower-case particles allowed
  inside (de, van, von, bin, al-, da, di, la, le, der, del, dos); words may carry
  apostrophes and hyphens ("O'Neill", "Jean-Luc").
- A clause-opening word ("But", "The", "In", "When", ...) is not part of a name.
- A later mention by one word ("Zhang", "Fung") is the earlier full name that has that
  word as its last or first word (family names come first in Chinese, Korean and
  Hungarian names), else as a middle word ("Etienne" for "Camille Etienne Gbedey"),
  provided exactly one known full name fits. ``NameIndex`` answers that in constant time
  per mention, so an article of any size resolves in one pass.
- One canonical entry per person: titles, roles and acronyms before the name ("BVI
  Governor John Rankin", "Prof Gavin Yamey", "Baark Volunteer Coordinator Bonnie Young")
  and weekdays, months and post-nominals after it ("John Rankin Thursday", "Neil Ford
  QC") are removed; the forms seen are kept as the person's aliases. The last word is
  never removed as a title ("Gayle King").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

NAME_WORD = r"[A-ZÀ-ÞĀ-Ž][\w’'\-]*[\w]"
PARTICLE = r"(?:de|da|di|du|des|del|della|der|den|van|von|bin|bint|al|el|la|le|dos|das|ibn)"
NAME = rf"{NAME_WORD}(?:\s+[A-Z]\.)?(?:\s+(?:{PARTICLE}\s+)?{NAME_WORD}){{0,4}}"
HONORIFIC_ABBREVIATION = r"(?:Dr|Mr|Mrs|Ms|Mx|Prof|Gov|Sen|Rep|Gen|Lt|Col|Sgt|Capt|Rev|Hon|St)\."
TITLED_NAME = rf"(?:{HONORIFIC_ABBREVIATION}\s+)?{NAME}"
"""A name, with an abbreviated honorific before it ("Dr. Ronald Moy") when there is one."""
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


def word_set(words: str) -> frozenset[str]:
    """The set of the whitespace-separated words of ``words`` (for long lists of words)."""
    return frozenset(words.split())


TITLE_WORDS = word_set(
    """mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend father sister
    president vice premier minister prime foreign defence defense finance health interior
    home education justice secretary chancellor governor gov senator sen rep representative
    congressman congresswoman councilman councilwoman councillor councilor mayor judge
    attorney district acting former deputy assistant general gen lt col sgt capt captain
    major admiral commander chief executive director chair chairman chairwoman chairperson
    spokesman spokeswoman spokesperson coordinator officer commissioner sheriff ambassador
    king queen prince princess pope sheikh ayatollah emir crown honour honor his her their
    mp mep ceo cfo cto coo founder co-founder manager editor host co-host anchor coach
    volunteer senior junior lead head superintendent inspector detective constable
    sergeant dean principal rabbi imam bishop cardinal archbishop pastor agent special
    state federal national regional international u.s. us uk"""
)
TRAILING_WORDS = word_set(
    """monday tuesday wednesday thursday friday saturday sunday today yesterday tonight
    january february march april may june july august september october november december
    qc kc mp mep phd ph.d obe mbe cbe esq"""
)
_POSSESSIVE = re.compile(r"[’']s$")


def _is_title(word: str) -> bool:
    bare = word.strip(".,")
    return (
        bare.casefold() in TITLE_WORDS
        or (bare.isupper() and len(bare.replace(".", "")) > 1)
        or bool(_POSSESSIVE.search(bare))
    )


NOT_NAMES_ALONE = word_set(
    """mr mrs ms miss mx dr prof sir dame lord lady rev president minister premier governor
    judge mayor senator director secretary chairman chairwoman spokesman spokeswoman
    spokesperson chief officer official chancellor executive head"""
)


def canonical_person(raw: str) -> str | None:
    """Return the person's own name in ``raw``, without titles, roles and trailing dates.

    "BVI Governor John Rankin" -> "John Rankin"; "John Rankin Thursday" -> "John Rankin";
    "Judge Ford" -> "Ford"; None when nothing but titles is left.
    """
    words = strip_clause_opener(" ".join(raw.split()).strip(" ,.;:")).split()
    while len(words) > 1 and words[-1].strip(".,").casefold() in TRAILING_WORDS:
        words.pop()
    last_title = -1
    for index, word in enumerate(words[:-1]):
        if _is_title(word):
            last_title = index
    words = words[last_title + 1 :]
    if not words or (len(words) == 1 and words[0].strip(".,").casefold() in NOT_NAMES_ALONE):
        return None
    if all(word.strip(".,").casefold() in TRAILING_WORDS for word in words):
        return None
    name = " ".join(words)
    return name if name.casefold() not in CLAUSE_OPENERS else None


@dataclass
class NameIndex:
    """Known people, by every word of their names, for one-word mentions."""

    _by_last: dict[str, list[str]] = field(default_factory=dict)
    _by_first: dict[str, list[str]] = field(default_factory=dict)
    _by_middle: dict[str, list[str]] = field(default_factory=dict)
    _known: set[str] = field(default_factory=set)

    def add(self, full_name: str) -> None:
        """Learn ``full_name`` (two words or more; one-word names are ignored)."""
        words = full_name.split()
        if len(words) < 2 or full_name in self._known:
            return
        self._known.add(full_name)
        self._by_last.setdefault(words[-1], []).append(full_name)
        self._by_first.setdefault(words[0], []).append(full_name)
        for word in words[1:-1]:
            self._by_middle.setdefault(word, []).append(full_name)

    def resolve(self, name: str, *, middle: bool = True, first: bool = True) -> str:
        """Return the one known full name ``name`` (one word) stands for, else ``name``.

        ``middle=False`` matches first and last names only and ``first=False`` last names
        only (for mentions in running text, where a middle or first name is more often
        someone else's surname or part of another name: "El Salvador" is not "El Faro").
        """
        if " " in name:
            return name
        by_last = self._by_last.get(name, [])
        if len(by_last) == 1:
            return by_last[0]
        if by_last:
            return name
        by_first = self._by_first.get(name, []) if first else []
        if len(by_first) == 1:
            return by_first[0]
        by_middle = self._by_middle.get(name, []) if middle else []
        if not by_first and len(by_middle) == 1:
            return by_middle[0]
        return name


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


def speaker_matches(who: str, speaker: str | None) -> bool:
    """True when ``who`` (what a member typed) names ``speaker``: the full name, a surname
    or first name, or any alias with titles, roles or dates ("Mr Hancock", "Governor John
    Rankin", "John Rankin Thursday")."""
    if not speaker:
        return False
    wanted = " ".join(who.split()).casefold()
    if not wanted:
        return False
    if wanted == speaker.casefold():
        return True
    name_words = speaker.casefold().split()
    canonical = (canonical_person(who) or who).casefold().split()
    return bool(canonical) and all(word in name_words for word in canonical)
