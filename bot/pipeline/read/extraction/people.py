"""People named in an article, found by rules: no model, no download.

Rules — a run of two to four capitalised words (see ``names.NAME``) is a person when:

- it speaks: "X said", "said X", "according to X", "X told ...", or a quotation's speaker;
- it has an apposition of role or age: "Wang Yi, China's foreign minister", "Zhang Xin, an
  expert on ...", "X, head of ...", "X, a professor at ...", "Michael Lopiano, 52,", or is
  one ("the port director, Oleanvine Maynard"; "the group's founder, Bernice Scott, is");
- an honorific, title or role stands before it: Mr, Mrs, Ms, Dr, Prof, President, Prime
  Minister, Governor, Judge, ... or a lower-case role ("Health secretary Matt Hancock",
  "freelance developer Jill Binder", "Throgs Neck resident Michael Lopiano").

A run that is a known place or organisation is not a person. Each person is one entry,
under the name without titles, roles and trailing dates (``names.canonical_person``: "BVI
Governor John Rankin" and "John Rankin Thursday" are John Rankin); the other forms are the
person's aliases (``find_people_with_aliases``). Later one-word mentions are folded into
the full name. People are returned in order of first mention. One pass over the text and
dictionary look-ups: linear in the article's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.pipeline.read.extraction.names import (
    NAME,
    NameIndex,
    canonical_person,
    strip_clause_opener,
)
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
    r"activist|campaigner|politician|mp|mep|dean|principal|student|resident|developer|"
    r"trainer|whip|singer|actor|actress|artist|writer|owner|teacher|nurse|agent|host|"
    r"co-host|coordinator|son|daughter|wife|husband|mother|father|brother|sister|"
    r"neighbou?r|colleague|dermatologist|physician|surgeon|engineer|astronomer|"
    r"astrophysicist|radioastronomer|councilman|councilwoman|councillor|spokesperson|"
    r"premier|detective|inspector|sheriff|prosecutor|defendant|victim|witness|"
    r"ringleader|musician|producer|director|entrepreneur|investor|banker)"
)
HONORIFICS = (
    r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|President|Prime Minister|Foreign Minister|"
    r"Defence Minister|Defense Minister|Minister|Senator|Sen|Rep|Gov|Governor|Chancellor|"
    r"General|Gen|Judge|Justice|King|Queen|Prince|Princess|Pope|Sheikh|Ayatollah|Mayor)\.?"
)
_APPOSITIVE = re.compile(
    rf"(?P<name>{NAME}),\s+(?i:(?:a|an|the)\s+|[\w’'\-]+[’']s\s+|(?:former|then|now)\s+)?"
    rf"(?:[\w\-]+\s+){{0,3}}(?P<role>(?i:{ROLE_WORDS}))\b"
)
_HONORIFIC = re.compile(rf"\b(?P<role>{HONORIFICS})\s+(?P<name>{NAME})")
_ROLE_BEFORE = re.compile(rf"\b(?P<role>(?i:{ROLE_WORDS}))\s+(?P<name>{NAME})")
_AFTER_ROLE_COMMA = re.compile(rf"\b(?P<role>(?i:{ROLE_WORDS})),\s+(?P<name>{NAME})")
_BETWEEN_COMMAS = re.compile(
    rf"\b\w+,\s+(?P<name>{NAME}),\s+(?!(?:and|or|but|as|in|on|at|to|the|for)\b)[a-z]"
)
_AGE = re.compile(rf"(?P<name>{NAME}),\s+\d{{1,3}},")
_SPEAKS_AFTER = re.compile(
    rf"(?P<name>{NAME})(?:,\s+[a-z][^,;“”\"]{{2,120}})?,?\s+{SAYING}\b"
)
_SPEAKS_BEFORE = re.compile(
    rf"\b(?!told|tells|asked|asks|dijo|confirmó)(?:{SAYING}|according to)\s+"
    rf"(?:[a-z][\w-]*\s+){{0,3}}?(?P<name>{NAME})"
)
_PATTERNS = (_APPOSITIVE, _HONORIFIC, _BETWEEN_COMMAS, _AGE, _SPEAKS_AFTER)
"""Patterns that start with a name or a capital: searched over the whole paragraph."""
_TOKEN = re.compile(r"[\w’']+")
_ROLE_TRIGGERS = frozenset(re.findall(r"[a-z]+", ROLE_WORDS)) | {
    "spokesman", "spokeswoman", "spokesperson", "chairman", "chairwoman", "chairperson",
    "chair", "neighbour", "neighbor",
}  # fmt: skip
_SAYING_TRIGGERS = frozenset(re.findall(r"[^\W\d_]+", SAYING)) | {"according"}
_TRIGGERED = (
    (_ROLE_BEFORE, _ROLE_TRIGGERS),
    (_AFTER_ROLE_COMMA, _ROLE_TRIGGERS),
    (_SPEAKS_BEFORE, _SAYING_TRIGGERS),
)
"""Patterns that start with a role or a verb of saying: tried only where such a word
stands (a dictionary look-up per word), since a long alternation tried at every position
of the text costs more than the rest of the step."""


def _matches(paragraph: str) -> Iterable[re.Match[str]]:
    for pattern in _PATTERNS:
        yield from pattern.finditer(paragraph)
    for token in _TOKEN.finditer(paragraph):
        word = token.group(0).lower()
        for pattern, triggers in _TRIGGERED:
            if word in triggers:
                found = pattern.match(paragraph, token.start())
                if found:
                    yield found
_CAPITALISED = re.compile(r"[A-ZÀ-ÞĀ-Ž][\w’'\-]*\w")


def _plausible_person(name: str, excluded: set[str]) -> str | None:
    words = strip_clause_opener(name.strip()).split()
    for index in range(len(words) - 2, -1, -1):
        if words[index].casefold() in excluded:
            words = words[index + 1 :]
            break
    name = canonical_person(" ".join(words)) or ""
    words = name.split()
    if not words or len(words) > MAX_WORDS or name.casefold() in excluded:
        return None
    if any(word.isupper() and len(word.strip(".")) > 1 for word in words):
        return None
    if any(word.casefold() in excluded for word in words):
        return None
    return name


def find_people_and_roles(
    paragraphs: Iterable[str],
    speakers: Iterable[str] = (),
    not_people: Iterable[str] = (),
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], dict[str, str]]:
    """Return each person named with the other forms of their name, and who holds a role.

    The roles map a role word ("director", "governor") to the one person the text gives it
    to (roles given to several people are left out), for "the director said".
    """
    texts = list(paragraphs)
    speakers = list(speakers)
    excluded = {name.casefold() for name in not_people}
    hits: list[tuple[int, str, str, str | None]] = []
    offset = 0
    for paragraph in texts:
        for match in _matches(paragraph):
            candidate = _plausible_person(match["name"], excluded)
            if candidate:
                raw = " ".join(match["name"].split())
                role = match.groupdict().get("role")
                hits.append((offset + match.start("name"), candidate, raw, role))
        offset += len(paragraph) + 2
    hits.sort(key=lambda hit: hit[0])
    index = NameIndex()
    for speaker in speakers:
        index.add(speaker)
    for _position, candidate, _raw, _role in hits:
        index.add(candidate)
    aliases: dict[str, dict[str, None]] = {}
    first_seen: dict[str, int] = {}
    holders: dict[str, set[str]] = {}
    for position, candidate, raw, role in hits:
        full = index.resolve(candidate, middle=False)
        if len(full.split()) < MIN_WORDS:
            continue
        first_seen.setdefault(full, position)
        forms = aliases.setdefault(full, {})
        for form in (raw, candidate):
            if form != full:
                forms.setdefault(form, None)
        if role:
            holders.setdefault(role.casefold().rstrip("."), set()).add(full)
    for speaker in speakers:
        if len(speaker.split()) >= MIN_WORDS and speaker.casefold() not in excluded:
            aliases.setdefault(speaker, {})
    offset = 0
    for paragraph in texts:
        for match in _CAPITALISED.finditer(paragraph):
            full = index.resolve(match.group(0))
            if full in aliases and full not in first_seen:
                first_seen[full] = offset + match.start()
        offset += len(paragraph) + 2
    ordered = sorted(aliases, key=lambda name: first_seen.get(name, offset))
    roles = {role: next(iter(names)) for role, names in holders.items() if len(names) == 1}
    return tuple((name, tuple(aliases[name])) for name in ordered), roles


def find_people_with_aliases(
    paragraphs: Iterable[str],
    speakers: Iterable[str] = (),
    not_people: Iterable[str] = (),
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return each person named in ``paragraphs`` with the other forms of their name."""
    return find_people_and_roles(paragraphs, speakers, not_people)[0]


def find_people(
    paragraphs: Iterable[str],
    speakers: Iterable[str] = (),
    not_people: Iterable[str] = (),
) -> tuple[str, ...]:
    """Return the people named in ``paragraphs``; ``speakers`` come from the quotes."""
    people = find_people_with_aliases(paragraphs, speakers, not_people)
    return tuple(name for name, _aliases in people)
