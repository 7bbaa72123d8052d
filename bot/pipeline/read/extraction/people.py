"""People named in an article, found by rules: no model, no download.

Rules — a run of two to four capitalised words (see ``names.NAME``) is a person when:

- it speaks: "X said", "said X", "according to X", "X told ...", or a quotation's speaker;
- it has an apposition of role: "Wang Yi, China's foreign minister", "Zhang Xin, an expert
  on ...", "X, head of ...", "X, a professor at ...";
- an honorific or title stands before it: Mr, Mrs, Ms, Dr, Prof, President, Prime
  Minister, Foreign Minister, Minister, Senator, Chancellor, General, Judge, ...

A run that is a known place or organisation is not a person. Later one-word mentions are
folded into the full name. People are returned in order of first mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.pipeline.read.extraction.names import NAME, resolve_surname, strip_clause_opener
from bot.pipeline.read.extraction.quotes import SAYING

MIN_WORDS = 2
MAX_WORDS = 4
ROLE_WORDS = (
    r"(?:minister|president|premier|chancellor|secretary|spokes(?:man|woman|person)|"
    r"professor|lecturer|expert|analyst|researcher|scholar|fellow|economist|strategist|"
    r"head|chief|director|chair(?:man|woman|person)?|leader|founder|co-founder|executive|"
    r"ceo|cfo|cto|official|ambassador|envoy|diplomat|general|commander|officer|senator|"
    r"governor|mayor|lawmaker|legislator|judge|lawyer|attorney|editor|reporter|"
    r"correspondent|author|historian|scientist|doctor|manager|partner|adviser|advisor|"
    r"member|deputy|vice|candidate|coach|player|king|queen|prince|princess|pope|"
    r"activist|campaigner|politician|mp|mep|dean|principal|student|resident)"
)
HONORIFICS = (
    r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|President|Prime Minister|Foreign Minister|"
    r"Defence Minister|Defense Minister|Minister|Senator|Sen|Rep|Gov|Governor|Chancellor|"
    r"General|Gen|Judge|Justice|King|Queen|Prince|Princess|Pope|Sheikh|Ayatollah|Mayor)\.?"
)
_APPOSITIVE = re.compile(
    rf"(?P<name>{NAME}),\s+(?i:(?:a|an|the)\s+|[\w’'\-]+[’']s\s+|(?:former|then|now)\s+)?"
    rf"(?:[\w\-]+\s+){{0,3}}(?i:{ROLE_WORDS})\b"
)
_HONORIFIC = re.compile(rf"\b{HONORIFICS}\s+(?P<name>{NAME})")
_SPEAKS_AFTER = re.compile(rf"(?P<name>{NAME})\s+{SAYING}\b")
_SPEAKS_BEFORE = re.compile(rf"\b(?:{SAYING}|according to)\s+(?P<name>{NAME})")


def _plausible_person(name: str, excluded: set[str]) -> str | None:
    name = strip_clause_opener(name.strip())
    words = name.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS or name.casefold() in excluded:
        return None
    if any(word.isupper() and len(word) > 1 for word in words):
        return None
    if any(word.casefold() in excluded for word in words):
        return None
    return name


def find_people(
    paragraphs: Iterable[str],
    speakers: Iterable[str] = (),
    not_people: Iterable[str] = (),
) -> tuple[str, ...]:
    """Return the people named in ``paragraphs``; ``speakers`` come from the quotes."""
    texts = list(paragraphs)
    excluded = {name.casefold() for name in not_people}
    found: dict[str, None] = {}
    for speaker in speakers:
        if " " in speaker:
            found.setdefault(speaker, None)
    pattern_hits: list[tuple[int, str]] = []
    for paragraph in texts:
        for pattern in (_APPOSITIVE, _HONORIFIC, _SPEAKS_AFTER, _SPEAKS_BEFORE):
            for match in pattern.finditer(paragraph):
                pattern_hits.append((match.start("name"), match["name"]))
        for _start, raw in sorted(pattern_hits):
            candidate = _plausible_person(raw, excluded)
            if candidate:
                found.setdefault(resolve_surname(candidate, found), None)
        pattern_hits.clear()
    joined = "\n".join(texts)

    def first_mention(name: str) -> int:
        position = joined.find(name)
        return len(joined) if position < 0 else position

    return tuple(sorted(found, key=first_mention))
