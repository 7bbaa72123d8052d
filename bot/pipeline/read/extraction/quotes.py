"""Direct quotations, with their speaker and the speaker's affiliation as printed.

Rules:

- A quotation is a span between double quotation marks (see ``sentences``) of at least
  six words; shorter spans are titles or scare quotes, not quotations.
- A quotation left open at the end of a paragraph continues into the next paragraph when
  that one opens with a quotation mark; the parts are joined with a space.
- The speaker is read from the words around the quotation, in its own paragraph:
  after it ("...," said Courtney Fung, an associate professor at Macquarie University;
  "...," Yang Shu, head of the Institute, told Sputnik; "...," according to X), or before
  it (Zhang Xin, an expert on ..., added: "..."). "He said" / "she added" refer to the
  previous speaker.
- A paragraph that is nothing but an unattributed quotation, right after a paragraph
  with an attributed one, belongs to the same speaker.
- The affiliation is the apposition between commas after the name, without a leading
  "of"; a speaker named again later keeps the affiliation of their first mention.
- One-word speakers are resolved to the full name mentioned earlier ("Zhang" ->
  "Zhang Xin"); see ``names.resolve_surname``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.models import Quote
from bot.pipeline.read.extraction.names import NAME, PRONOUNS, resolve_surname, strip_clause_opener
from bot.pipeline.read.extraction.sentences import QuoteSpan, quote_spans, starts_with_quote

MIN_QUOTE_WORDS = 6
SAYING = (
    r"(?:said|says|added|adds|told|tells|explained|explains|noted|notes|argued|argues|"
    r"warned|warns|wrote|writes|stated|states|continued|continues|insisted|insists|asked|"
    r"asks|replied|replies|recalled|recalls|acknowledged|acknowledges|observed|observes|"
    r"claimed|claims|declared|declares|stressed|stresses|suggested|suggests|commented|"
    r"comments|concluded|concludes|admitted|admits|agreed|agrees|pointed out|points out|"
    r"cautioned|cautions|predicted|predicts|emphasised|emphasized|tweeted|posted)"
)
_APPOSITION = r"(?:\s*,\s*(?P<aff>[^,;“”\"]{3,200}?)\s*,)?"
_TRAILING_APPOSITION = r"(?:\s*,\s*(?P<aff>[^,.;“”\"]{3,200}))?"
_AFTER_VERB_NAME = re.compile(
    rf"^[\s,.]*(?:{SAYING}|according to)\s+(?P<speaker>{NAME}){_TRAILING_APPOSITION}"
)
_AFTER_NAME_VERB = re.compile(rf"^[\s,.]*(?P<speaker>{NAME}){_APPOSITION}\s+{SAYING}\b")
_AFTER_PRONOUN = re.compile(
    rf"^[\s,.]*(?:(?:he|she|they)\s+{SAYING}|{SAYING}\s+(?:he|she|they))\b", re.I
)
_BEFORE_NAME_VERB = re.compile(
    rf"(?P<speaker>{NAME}){_APPOSITION}\s+{SAYING}(?:\s+[\w’'-]+){{0,3}}\s*[:,]?\s*$"
)
_BEFORE_ACCORDING = re.compile(
    rf"according to\s+(?P<speaker>{NAME}){_APPOSITION}\s*[:,]?\s*$", re.I
)
_BEFORE_PRONOUN = re.compile(rf"\b(?:he|she|they)\s+{SAYING}\s*[:,]?\s*$", re.I)


@dataclass(frozen=True)
class _Attribution:
    speaker: str | None
    affiliation: str | None
    pronoun: bool = False


def _clean_affiliation(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = re.sub(r"^(?:of|from)\s+", "", " ".join(text.split())).strip(" ,.")
    return cleaned or None


def _from_match(match: re.Match[str] | None) -> _Attribution | None:
    if match is None:
        return None
    speaker = strip_clause_opener(match["speaker"])
    if not speaker or speaker.lower() in PRONOUNS:
        return None
    return _Attribution(speaker, _clean_affiliation(match.groupdict().get("aff")))


def _attribution(paragraph: str, span: QuoteSpan) -> _Attribution | None:
    if span.end is not None:
        after = paragraph[span.end + 1 :]
        found = _from_match(_AFTER_VERB_NAME.match(after)) or _from_match(
            _AFTER_NAME_VERB.match(after)
        )
        if found:
            return found
        if _AFTER_PRONOUN.match(after):
            return _Attribution(None, None, pronoun=True)
    before = paragraph[: span.start]
    sentence_start = max(before.rfind(". "), before.rfind("” "), before.rfind('" '))
    clause = before[sentence_start + 1 :] if sentence_start >= 0 else before
    found = _from_match(_BEFORE_NAME_VERB.search(clause)) or _from_match(
        _BEFORE_ACCORDING.search(clause)
    )
    if found:
        return found
    if _BEFORE_PRONOUN.search(clause):
        return _Attribution(None, None, pronoun=True)
    return None


def _clean_quote_text(text: str) -> str:
    return " ".join(text.split()).strip(" ,")


def _is_whole_paragraph(paragraph: str, span: QuoteSpan) -> bool:
    outside = paragraph[: span.start] + ("" if span.end is None else paragraph[span.end + 1 :])
    return not outside.strip(" .,")


def extract_quotes(paragraphs: tuple[str, ...]) -> tuple[Quote, ...]:
    """Return the article's direct quotations with speakers and affiliations."""
    raw: list[tuple[str, _Attribution | None, int, bool]] = []
    carry: tuple[str, _Attribution | None, int] | None = None
    for index, paragraph in enumerate(paragraphs):
        spans = quote_spans(paragraph)
        if carry is not None and not starts_with_quote(paragraph):
            raw.append((carry[0], carry[1], carry[2], False))
            carry = None
        for position, span in enumerate(spans):
            text = span.text_in(paragraph)
            attribution = _attribution(paragraph, span)
            if carry is not None and position == 0:
                text = f"{carry[0]} {text}"
                attribution = carry[1] or attribution
                index_of_quote = carry[2]
                carry = None
            else:
                index_of_quote = index
            if span.end is None:
                carry = (text, attribution, index_of_quote)
                continue
            raw.append((text, attribution, index_of_quote, _is_whole_paragraph(paragraph, span)))
    if carry is not None:
        raw.append((carry[0], carry[1], carry[2], False))
    return _attribute(raw)


def _attribute(raw: list[tuple[str, _Attribution | None, int, bool]]) -> tuple[Quote, ...]:
    full_names = [
        attribution.speaker
        for _text, attribution, _index, _whole in raw
        if attribution is not None and attribution.speaker and " " in attribution.speaker
    ]
    affiliations: dict[str, str] = {}
    quotes: list[Quote] = []
    last_speaker: str | None = None
    last_index = -2
    for text, attribution, index, whole in raw:
        speaker: str | None = None
        local_affiliation: str | None = None
        if attribution is not None and attribution.speaker:
            speaker = resolve_surname(attribution.speaker, full_names)
            local_affiliation = attribution.affiliation
        elif (attribution is not None and attribution.pronoun) or (
            attribution is None and whole and index - last_index <= 1
        ):
            speaker = last_speaker
        if speaker and local_affiliation and speaker not in affiliations:
            affiliations[speaker] = local_affiliation
        cleaned = _clean_quote_text(text)
        if len(cleaned.split()) < MIN_QUOTE_WORDS:
            continue
        affiliation = affiliations.get(speaker, local_affiliation) if speaker else None
        quotes.append(Quote(speaker, affiliation, cleaned))
        if speaker:
            last_speaker, last_index = speaker, index
    return tuple(quotes)
