"""Organisations named in an article, with acronyms joined to their long forms.

Rules:

- "Long Form (ACR)" joins the acronym to the long form before it when the acronym's
  letters are the initials of the long form's capitalised words.
- An acronym (two to six capitals) used anywhere joins a capitalised run elsewhere in the
  article whose capitalised words' initials spell it ("CSTO" and "Collective Security
  Treaty Organization"); function words (of, for, and, the, on, de, ...) are skipped.
- A few world bodies are known by acronym alone (UN, EU, NATO, WHO, IMF, ...).
- A capitalised run ending in an organisation word (University, Institute, Organization,
  Party, Ministry, Bank, Agency, Council, ...) or starting "University of"/"Bank of" is
  an organisation; a leading "The" or clause opener is dropped.
- A long form that is a known place ("British Virgin Islands (BVI)") is no organisation,
  and neither is its acronym.
- Organisations are returned in order of first mention; acronyms without a long form and
  not known are left out (they are as often units or tickers as bodies).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from bot.core.models import Organization
from bot.pipeline.read.extraction.names import strip_clause_opener

FUNCTION_WORDS = frozenset(
    [
        "of",
        "for",
        "and",
        "the",
        "on",
        "in",
        "to",
        "de",
        "des",
        "du",
        "la",
        "le",
        "di",
        "del",
        "der",
        "für",
        "und",
    ]
)
ORGANIZATION_WORDS = frozenset(
    [
        "university",
        "institute",
        "institution",
        "organization",
        "organisation",
        "party",
        "ministry",
        "bank",
        "agency",
        "council",
        "association",
        "union",
        "committee",
        "commission",
        "corporation",
        "company",
        "group",
        "inc",
        "ltd",
        "llc",
        "plc",
        "foundation",
        "court",
        "army",
        "navy",
        "force",
        "forces",
        "police",
        "department",
        "office",
        "fund",
        "forum",
        "network",
        "federation",
        "league",
        "alliance",
        "centre",
        "center",
        "school",
        "college",
        "academy",
        "parliament",
        "assembly",
        "congress",
        "senate",
        "board",
        "authority",
        "service",
        "bureau",
        "society",
        "club",
        "coalition",
        "movement",
        "front",
        "administration",
        "government",
        "commission",
        "treaty",
        "tribunal",
        "exchange",
        "airlines",
        "airways",
        "news",
        "times",
        "post",
        "journal",
        "agency",
    ]
)
KNOWN_ACRONYMS = {
    "UN": "United Nations",
    "EU": "European Union",
    "NATO": "North Atlantic Treaty Organization",
    "WHO": "World Health Organization",
    "IMF": "International Monetary Fund",
    "WTO": "World Trade Organization",
    "OPEC": "Organization of the Petroleum Exporting Countries",
    "ASEAN": "Association of Southeast Asian Nations",
    "OSCE": "Organization for Security and Co-operation in Europe",
    "UNESCO": "United Nations Educational, Scientific and Cultural Organization",
    "UNICEF": "United Nations Children's Fund",
    "FBI": "Federal Bureau of Investigation",
    "CIA": "Central Intelligence Agency",
    "ECB": "European Central Bank",
    "OECD": "Organisation for Economic Co-operation and Development",
}
_CAP = r"[A-ZÀ-Þ](?:[\w’'&\-]|\.(?=\w))*"
_FUNCTION = r"(?:of|for|and|the|on|in|to|de|des|du|la|le|di|del|der|für|und)"
_RUN = re.compile(rf"{_CAP}(?:\s+(?:{_FUNCTION}\s+)*{_CAP})*")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_LONG_WITH_ACRONYM = re.compile(rf"(?P<long>{_RUN.pattern})\s*\((?P<acronym>[A-Z]{{2,6}})\)")


def initials(long_form: str) -> str:
    """Return the initials of the capitalised words of ``long_form`` ("CSTO")."""
    return "".join(
        word[0]
        for word in re.split(r"[\s\-]+", long_form)
        if word and word[0].isupper() and word.lower() not in FUNCTION_WORDS
    )


def _trim_to_initials(run: str, acronym: str) -> str | None:
    words = run.split()
    for start in range(len(words)):
        candidate = " ".join(words[start:])
        if words[start].lower() not in FUNCTION_WORDS and initials(candidate) == acronym:
            return candidate
    return None


def _long_forms_by_initials(runs: Iterable[str]) -> dict[str, str]:
    """The first run's tail each acronym of up to six letters spells, by acronym.

    Equivalent to ``_trim_to_initials(run, acronym)`` over every run in order, in one pass:
    only tails with at most six capitalised words can spell an acronym.
    """
    spelled: dict[str, str] = {}
    for run in runs:
        words = run.split()
        capitals = 0
        for start in range(len(words) - 1, -1, -1):
            word = words[start]
            if word.lower() not in FUNCTION_WORDS:
                capitals += len([part for part in re.split(r"-", word) if part[:1].isupper()])
                if capitals > 6:
                    break
                candidate = " ".join(words[start:])
                spelled.setdefault(initials(candidate), candidate)
    return spelled


def _organization_in_run(run: str) -> str | None:
    """Return the part of ``run`` that names an organisation, if any."""
    words = run.split()
    if len(words) < 2:
        return None
    first_two = " ".join(words[:2]).lower()
    if first_two in {"university of", "bank of", "ministry of"}:
        return run
    for end in range(len(words), 1, -1):
        if words[end - 1].lower().strip(".") in ORGANIZATION_WORDS:
            return " ".join(words[:end])
    return None


def find_organizations(
    paragraphs: Iterable[str], places: Collection[str] = ()
) -> tuple[Organization, ...]:
    """Return the organisations named in ``paragraphs``, acronyms joined to long forms.

    ``places`` are case-folded place names: a long form that is one ("British Virgin
    Islands (BVI)") is a place, and its acronym names no organisation.
    """
    texts = list(paragraphs)
    long_forms: dict[str, list[str]] = {}
    order: list[str] = []
    place_acronyms: set[str] = set()

    def add(name: str, alias: str | None = None) -> None:
        if name.casefold() in places:
            if alias:
                place_acronyms.add(alias)
            return
        if name not in long_forms:
            long_forms[name] = []
            order.append(name)
        if alias and alias not in long_forms[name]:
            long_forms[name].append(alias)

    runs: list[str] = []
    for text in texts:
        for match in _LONG_WITH_ACRONYM.finditer(text):
            trimmed = _trim_to_initials(match["long"], match["acronym"])
            if trimmed:
                add(trimmed, match["acronym"])
        for match in _RUN.finditer(text):
            run = strip_clause_opener(re.sub(r"[’']s$", "", match.group(0).rstrip(".")))
            if run:
                runs.append(run)
                organization = _organization_in_run(run)
                if organization:
                    add(organization)
    acronyms = dict.fromkeys(a for text in texts for a in _ACRONYM.findall(text))
    spelled_by = _long_forms_by_initials(runs)
    aliased = {alias for aliases in long_forms.values() for alias in aliases}
    for acronym in acronyms:
        if acronym in aliased or acronym in place_acronyms:
            continue
        spelled = spelled_by.get(acronym)
        if spelled and spelled != acronym:
            add(spelled, acronym)
        elif acronym in KNOWN_ACRONYMS:
            add(KNOWN_ACRONYMS[acronym], acronym)
    return tuple(Organization(name, tuple(long_forms[name])) for name in order)
