"""Direct quotations, with their speaker and the speaker's affiliation as printed.

Rules:

- A quotation is a span between double quotation marks (see ``sentences``) of at least
  six words; shorter spans are titles or scare quotes, not quotations.
- A quotation left open at the end of a paragraph continues into the next paragraph when
  that one opens with a quotation mark; the parts are joined with a space.
- The speaker is read from the words around the quotation, in its own paragraph, after it
  ("...," said Courtney Fung, an associate professor at Macquarie University; "...," Yang
  Shu, head of the Institute, told Sputnik; "...," according to X; "...," the ACLU's Jay
  Stanley tells Axios; "...," Augusto Reyes, director of the branch.) or before it (Zhang
  Xin, an expert on ..., added: "..."; Mr Hancock responded: "..."; In Dr. Shadlen's
  words, "..."; Scott told "CBS This Morning" co-host Gayle King, "..."). Titles and roles
  are dropped from the name (``names.canonical_person``) and a one-word name is the known
  full name it stands for ("Mr Hancock" -> "Matt Hancock", see ``names.NameIndex``).
- "He said" / "she added" (after the quotation or before it) is the person last named
  before the quotation: the last speaker or the last known person mentioned in the text,
  whichever came later.
- A quotation without words of its own in a paragraph where another quotation is
  attributed has that speaker (the convention: one speaker per paragraph). A paragraph
  that is nothing but a quotation takes the speaker of the paragraph before it when that
  one quoted someone or ends by introducing the quotation ("Greta Thunberg states the
  following:"); a quotation followed by a paragraph that is only a name and a
  publication ("Larry Magid, Forbes") is that person's (testimonials).
- The affiliation is the apposition between commas after the name, without a leading
  "of"; a speaker named again later keeps the affiliation of their first mention.

Cost: every quotation looks at no more than ``WINDOW`` characters on either side, and
names resolve through dictionaries, so the whole step is linear in the article's length
(a page of 50,000 short quotations takes about a second).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.core.models import Quote
from bot.pipeline.read.extraction.names import (
    CLAUSE_OPENERS,
    PRONOUNS,
    TITLE_WORDS,
    TITLED_NAME,
    TRAILING_WORDS,
    NameIndex,
    canonical_person,
    word_set,
)
from bot.pipeline.read.extraction.sentences import QUOTE_MARKS, QuoteSpan, quote_spans

MIN_QUOTE_WORDS = 6
WINDOW = 240
"""Characters read on each side of a quotation for its speaker."""
SAYING = (
    r"(?:said|says|say|added|adds|told|tells|explained|explains|noted|notes|argued|argues|"
    r"warned|warns|wrote|writes|stated|states|continued|continues|insisted|insists|asked|"
    r"asks|replied|replies|recalled|recalls|acknowledged|acknowledges|observed|observes|"
    r"claimed|claims|declared|declares|stressed|stresses|suggested|suggests|commented|"
    r"comments|concluded|concludes|admitted|admits|agreed|agrees|pointed out|points out|"
    r"cautioned|cautions|predicted|predicts|emphasised|emphasized|emphasises|emphasizes|"
    r"tweeted|posted|responded|responds|answered|answers|announced|announces|remarked|"
    r"remarks|revealed|reveals|confirmed|confirms|proceeded|went on|urged|urges|"
    r"maintained|maintains|conceded|concedes|complained|complains|joked|jokes|quipped|"
    r"exclaimed|shouted|testified|wondered|dijo|afirmó|exigió|sagte|erklärte|a déclaré)"
)
_PRONOUN = r"(?:he|she|they|He|She|They)"
_LEAD = r"^[\s,.;:—–-]*"
_NOT_ROLE = (
    r"(?:in|on|at|to|for|from|with|by|of|that|after|before|during|about|as|while|when|"
    r"because|if|and|but|or|it|this|he|she|they|we|i|you|his|her|their|its|not|was|is)"
)
_ROLE_BEFORE_NAME = (
    r"(?:(?:the|a|an|[A-Z][\w&.-]*[’']s)\s+|[A-Z][A-Z&.-]+\s+(?=[a-z]))?"
    rf"(?:(?!{_NOT_ROLE}\b)[a-z][\w-]*\s+){{0,4}}"
)
_APPOSITION = r"(?:\s*,\s*(?P<aff>[^,;“”\"]{3,200}?)(?:\s*,\s*[^,;“”\"]{3,200}?)?\s*,)?"
_TRAILING_APPOSITION = r"(?:\s*,\s*(?P<aff>[^,.;“”\"]{3,200}))?"
# "X said", "X's report said", "X has also said": a name (and apposition) speaking.
_NAME_SAYS = (
    r"(?:\s+(?:report|statement))?\s+(?:has\s+|had\s+|also\s+|then\s+)?" + SAYING
)
_VERB_NAME = (
    rf"(?:{SAYING}|according to)\s+{_ROLE_BEFORE_NAME}"
    rf"(?P<speaker>{TITLED_NAME}){_TRAILING_APPOSITION}"
)
_AFTER_VERB_NAME = re.compile(rf"{_LEAD}{_VERB_NAME}")
_AFTER_CLAUSE_VERB_NAME = re.compile(rf"{_LEAD}[^“”\".]{{0,40}}?,\s*{_VERB_NAME}")
_AFTER_NAME_VERB = re.compile(
    rf"{_LEAD}{_ROLE_BEFORE_NAME}(?P<speaker>{TITLED_NAME}){_APPOSITION}{_NAME_SAYS}\b"
)
_AFTER_NAME_ONLY = re.compile(
    rf"{_LEAD}(?P<speaker>{TITLED_NAME}),\s+(?P<aff>[^.,;“”\"]{{3,160}})\.?\s*$"
)
_AFTER_PRONOUN = re.compile(
    rf"{_LEAD}(?:{_PRONOUN}\s+(?:also\s+)?{SAYING}|{SAYING}\s+{_PRONOUN})\b"
)
_FILLER = r"(?:\s+[^\s.!?]+){0,8}?"
_BEFORE_NAME_VERB = re.compile(
    rf"(?P<speaker>{TITLED_NAME}){_APPOSITION}{_NAME_SAYS}{_FILLER}\s*[:,]?\s*$"
)
_BEFORE_ACCORDING = re.compile(
    rf"(?i:according to)\s+(?P<speaker>{TITLED_NAME}){_APPOSITION}\s*[:,]?\s*$"
)
_BEFORE_WORDS = re.compile(rf"(?i:in)\s+(?P<speaker>{TITLED_NAME})[’']s?\s+words\s*[:,]?\s*$")
_BEFORE_PRONOUN = re.compile(rf"\b{_PRONOUN}\s+(?:also\s+)?{SAYING}{_FILLER}\s*[:,]?\s*$")
_INTRODUCES = re.compile(
    rf"(?P<speaker>{TITLED_NAME}){_APPOSITION}\s+(?:has\s+|also\s+)?{SAYING}"
    r"(?:\s+[^\s.!?]+){0,6}?\s*:\s*$"
)
_SENTENCE_END = re.compile(
    r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)(?<!\bProf)(?<!\b[A-Z])"
    r"[.!?…][”\"’]?\s+(?=[A-Z“\"])"
)
_CAPITALISED = re.compile(r"[A-ZÀ-ÞĀ-Ž][\w’'\-]*\w")
_TESTIMONIAL = re.compile(rf"^\s*[—–-]?\s*(?P<speaker>{TITLED_NAME}),\s+[^“”\"]{{2,60}}$")
_AFTER_BARE_VERB = re.compile(
    r"^[\s,]*(?:dijo|afirmó|exigió|añadió|explicó|aseguró|sagte|erklärte|betonte|"
    r"a déclaré|a dit|a ajouté|ha detto)\b"
)
_AFTER_ROLE = re.compile(
    rf"{_LEAD}(?i:the)\s+(?:[a-z-]+\s+){{0,2}}?(?P<role>[A-Za-z-]+)\s+(?:also\s+)?{SAYING}\b"
)
_BEFORE_ROLE = re.compile(
    rf"\b(?i:the)\s+(?:[a-z-]+\s+){{0,2}}?(?P<role>[A-Za-z-]+)\s+(?:also\s+)?{SAYING}{_FILLER}"
    r"\s*[:,]?\s*$"
)
_LOWER_WORD = re.compile(r"(?<![\w.@/])[a-zà-ÿ][\w’'\-]*\b(?!\.\w)")
_PREPOSITIONS = word_set("in at on from to of for by with near into across")
NOT_SPEAKERS = word_set("one another both each some many none someone everyone anyone nobody")


@dataclass(frozen=True)
class _Attribution:
    speaker: str | None
    affiliation: str | None
    pronoun: bool = False
    role: str | None = None


@dataclass
class _Found:
    """One quotation on its way out: where it is and what its surroundings say."""

    text: str
    attribution: _Attribution | None
    paragraph: int
    whole: bool
    position: int
    """Characters into the article at which the quotation starts (for "last named")."""


def _clean_affiliation(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = re.sub(r"^(?:of|from)\s+", "", " ".join(text.split())).strip(" ,.")
    return cleaned or None


def _from_match(match: re.Match[str] | None) -> _Attribution | None:
    if match is None:
        return None
    speaker = canonical_person(match["speaker"])
    if not speaker or speaker.casefold() in PRONOUNS or speaker.casefold() in NOT_SPEAKERS:
        return None
    return _Attribution(speaker, _clean_affiliation(match.groupdict().get("aff")))


def _after_window(paragraph: str, span: QuoteSpan, next_start: int) -> str:
    assert span.end is not None
    return paragraph[span.end + 1 : min(next_start, span.end + 1 + WINDOW)]


def _before_clause(paragraph: str, span: QuoteSpan, previous_end: int) -> str:
    window = paragraph[max(previous_end, span.start - WINDOW) : span.start]
    ends = list(_SENTENCE_END.finditer(window))
    return window[ends[-1].end() :] if ends else window


def _attribution(
    paragraph: str, span: QuoteSpan, previous_end: int, next_start: int
) -> _Attribution | None:
    if span.end is not None:
        after = _after_window(paragraph, span, next_start)
        found = (
            _from_match(_AFTER_VERB_NAME.match(after))
            or _from_match(_AFTER_NAME_VERB.match(after))
            or _from_match(_AFTER_CLAUSE_VERB_NAME.match(after))
        )
        if found:
            return found
        if _AFTER_PRONOUN.match(after) or _AFTER_BARE_VERB.match(after):
            return _Attribution(None, None, pronoun=True)
        role = _AFTER_ROLE.match(after)
        if role:
            return _Attribution(None, None, role=role["role"].casefold())
        found = _from_match(_AFTER_NAME_ONLY.match(after))
        if found and " " in found.speaker:  # type: ignore[operator]
            return found
    clause = _before_clause(paragraph, span, previous_end)
    found = (
        _from_match(_BEFORE_NAME_VERB.search(clause))
        or _from_match(_BEFORE_ACCORDING.search(clause))
        or _from_match(_BEFORE_WORDS.search(clause))
    )
    if found:
        return found
    if _BEFORE_PRONOUN.search(clause):
        return _Attribution(None, None, pronoun=True)
    role = _BEFORE_ROLE.search(clause)
    if role:
        return _Attribution(None, None, role=role["role"].casefold())
    return None


def _clean_quote_text(text: str) -> str:
    return " ".join(text.split()).strip(" ,")


def _long_spans(paragraph: str) -> list[QuoteSpan]:
    """The paragraph's spans, short ones (titles, scare quotes) merged into their text.

    A short span is kept only when it is the paragraph's open last one (a quotation may
    go on in the next paragraph).
    """
    spans = quote_spans(paragraph)
    return [
        span
        for index, span in enumerate(spans)
        if span.end is None
        or len(paragraph[span.start + 1 : span.end].split()) >= MIN_QUOTE_WORDS
        or (index == 0 and span.start == len(paragraph) - len(paragraph.lstrip()))
    ]


def _introduced_speaker(paragraph: str) -> _Attribution | None:
    """The speaker a paragraph ends by introducing ("Greta Thunberg states the following:")."""
    tail = paragraph[-WINDOW:]
    if not tail.rstrip().endswith(":"):
        return None
    ends = list(_SENTENCE_END.finditer(tail))
    clause = tail[ends[-1].end() :] if ends else tail
    return _from_match(_INTRODUCES.search(clause))


def _testimonial_speaker(paragraph: str) -> _Attribution | None:
    if len(paragraph) > 80 or any(mark in paragraph for mark in QUOTE_MARKS):
        return None
    return _from_match(_TESTIMONIAL.match(paragraph))


def _find(paragraphs: tuple[str, ...]) -> list[_Found]:
    found: list[_Found] = []
    carry: _Found | None = None
    offset = 0
    for index, paragraph in enumerate(paragraphs):
        spans = _long_spans(paragraph)
        opens_with_quote = paragraph.lstrip()[:1] in QUOTE_MARKS
        if carry is not None and not opens_with_quote:
            found.append(carry)
            carry = None
        whole_paragraph = len(spans) == 1 and _is_whole_paragraph(paragraph, spans[0])
        introduced = (
            _introduced_speaker(paragraphs[index - 1])
            if index and opens_with_quote and carry is None
            else None
        )
        for position, span in enumerate(spans):
            previous_end = 0 if position == 0 else (spans[position - 1].end or 0) + 1
            next_start = spans[position + 1].start if position + 1 < len(spans) else len(paragraph)
            text = span.text_in(paragraph)
            attribution = _attribution(paragraph, span, previous_end, next_start) or introduced
            if carry is not None and position == 0:
                carry.text = f"{carry.text} {text}"
                carry.attribution = carry.attribution or attribution
                current = carry
                carry = None
            else:
                current = _Found(text, attribution, index, whole_paragraph, offset + span.start)
            if span.end is None:
                carry = current
                continue
            found.append(current)
        offset += len(paragraph) + 2
    if carry is not None:
        found.append(carry)
    return found


def _is_whole_paragraph(paragraph: str, span: QuoteSpan) -> bool:
    """True when nothing but punctuation stands outside the one quotation (O(paragraph))."""
    outside = paragraph[: span.start] + ("" if span.end is None else paragraph[span.end + 1 :])
    return not outside.strip(" .,-–—")


def _share_within_paragraphs(found: list[_Found], speakers: list[str | None]) -> None:
    """Give quotations without a speaker the one attributed elsewhere in their paragraph."""
    start = 0
    while start < len(found):
        stop = start
        while stop < len(found) and found[stop].paragraph == found[start].paragraph:
            stop += 1
        named = [speaker for speaker in speakers[start:stop] if speaker]
        if named:
            for number in range(start, stop):
                if speakers[number] is None and found[number].attribution is None:
                    speakers[number] = named[0]
        start = stop


def _mentions(
    paragraphs: tuple[str, ...], index: NameIndex, other_words: Collection[str]
) -> list[tuple[int, str | None]]:
    """Who is named where in the running text (article offset, full name), in order.

    A capitalised word inside a sentence that is no known person, place, organisation or
    date ("the EP allowed Luboku to reflect") is someone unknown: it is recorded as None,
    so "he said" after it is left unattributed rather than given to an earlier name.
    Words inside quotations are not mentions.
    """
    mentions: list[tuple[int, str | None]] = []
    common = {word for paragraph in paragraphs for word in _LOWER_WORD.findall(paragraph)}
    offset = 0
    for paragraph in paragraphs:
        spans = quote_spans(paragraph)
        span = 0
        for match in _CAPITALISED.finditer(paragraph):
            start = match.start()
            while span < len(spans) and (spans[span].end or len(paragraph)) < start:
                span += 1
            if span < len(spans) and spans[span].start < start:
                continue
            word = match.group(0)
            full = index.resolve(word, middle=False, first=False)
            if " " in full:
                mentions.append((offset + start, full))
            elif " " in index.resolve(word):
                continue
            elif word.casefold() not in common and _unknown_name(
                paragraph, start, word, other_words
            ):
                mentions.append((offset + start, None))
        offset += len(paragraph) + 2
    return mentions


def _unknown_name(paragraph: str, start: int, word: str, other_words: Collection[str]) -> bool:
    """True when ``word`` (capitalised, never written in lower case in the article) names
    someone unknown: no place, organisation, date or title word, and not after a
    preposition ("in Sao Paulo")."""
    folded = word.casefold()
    if word.isupper() or folded in other_words or folded in CLAUSE_OPENERS:
        return False
    if folded in TRAILING_WORDS or folded in TITLE_WORDS:
        return False
    before = paragraph[max(0, start - 20) : start].split()
    previous = (before[-1] if before else "").casefold()
    return previous not in _PREPOSITIONS and previous not in CLAUSE_OPENERS


def extract_quotes(
    paragraphs: tuple[str, ...],
    known_people: Iterable[str] = (),
    *,
    roles: Mapping[str, str] | None = None,
    other_names: Collection[str] = frozenset(),
) -> tuple[Quote, ...]:
    """Return the article's direct quotations with speakers and affiliations.

    ``known_people`` are full names found in the text by other rules and ``roles`` the one
    person each role word belongs to ("director" -> "Carissa F. Etienne"); one-word
    speakers, "he said" and "the director said" resolve to them. ``other_names`` are the
    case-folded words of the places and organisations known, which are nobody.
    """
    found = _find(paragraphs)
    for item in found:
        if item.attribution is None and item.whole and item.paragraph + 1 < len(paragraphs):
            item.attribution = _testimonial_speaker(paragraphs[item.paragraph + 1])
    index = NameIndex()
    for name in known_people:
        index.add(name)
    for item in found:
        if item.attribution is not None and item.attribution.speaker:
            index.add(item.attribution.speaker)
    return _attribute(found, index, _mentions(paragraphs, index, other_names), roles or {})


def _attribute(
    found: list[_Found],
    index: NameIndex,
    mentions: list[tuple[int, str | None]],
    roles: Mapping[str, str],
) -> tuple[Quote, ...]:
    speakers = _speakers(found, index, mentions, roles)
    _share_within_paragraphs(found, speakers)
    affiliations: dict[str, str] = {}
    quotes: list[Quote] = []
    for item, speaker in zip(found, speakers, strict=True):
        local = item.attribution.affiliation if item.attribution else None
        if speaker and local and speaker not in affiliations:
            affiliations[speaker] = local
        cleaned = _clean_quote_text(item.text)
        if len(cleaned.split()) < MIN_QUOTE_WORDS:
            continue
        affiliation = affiliations.get(speaker, local) if speaker else None
        quotes.append(Quote(speaker, affiliation, cleaned))
    return tuple(quotes)


def _speakers(
    found: list[_Found],
    index: NameIndex,
    mentions: list[tuple[int, str | None]],
    roles: Mapping[str, str],
) -> list[str | None]:
    """Each quotation's speaker from its own words, "he said" or the paragraph before."""
    speakers: list[str | None] = []
    last_speaker: str | None = None
    last_speaker_at = -1
    last_paragraph = -2
    mention = 0
    last_mentioned: str | None = None
    for item in found:
        while mention < len(mentions) and mentions[mention][0] < item.position:
            last_mentioned = mentions[mention][1]
            mention += 1
        mentioned_at = mentions[mention - 1][0] if mention else -1
        speaker: str | None = None
        attribution = item.attribution
        if attribution is not None and attribution.speaker:
            speaker = index.resolve(attribution.speaker)
        elif attribution is not None and attribution.role:
            speaker = roles.get(attribution.role)
        elif attribution is not None and attribution.pronoun:
            speaker = last_mentioned if mentioned_at > last_speaker_at else last_speaker
        elif attribution is None and item.whole and item.paragraph - last_paragraph <= 1:
            speaker = last_speaker
        speakers.append(speaker)
        if speaker:
            last_speaker, last_paragraph, last_speaker_at = speaker, item.paragraph, item.position
    return speakers
