"""Sentences and quotation spans, the units the summary, quotes and names work on.

Rules:

- Double quotation marks of every kind (``" “ ” „ ‟ « » 〝 〞 ＂``) toggle a quotation on and
  off in reading order, whatever their shape, so wrong-way marks (a closing quote printed
  as ``“``) and stray spaces (``ensure. ”``) still pair up. Single quotes are apostrophes.
- Each paragraph starts outside a quotation. A paragraph that ends inside one, followed by
  a paragraph opening with a quotation mark, is one quotation running over both (the
  printing convention for long quotes).
- A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quote after it) when
  outside a quotation, followed by space and an upper-case letter, a digit or a quotation
  mark; never after a known abbreviation ("Mr.", "Dr.", "U.S.") or a single initial.
- One pass over the paragraph; each full stop reads at most ``ABBREVIATION_WINDOW``
  characters back, so splitting is linear in the paragraph's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUOTE_MARKS = frozenset('"“”„‟«»〝〞＂')
TERMINALS = frozenset(".!?…")
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "fr",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "nos",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "al",
        "approx",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
        "bzw",
        "ca",
        "vgl",
        "z.b",
        "nr",
        "dr.-ing",
    ]
)
_WORD_BEFORE = re.compile(r"([\w.-]+)\s*$")
_NOT_SPACE = re.compile(r"\S")
ABBREVIATION_WINDOW = 40
"""Characters before a full stop read to tell an abbreviation ("Mr.", "U.S.")."""


@dataclass(frozen=True)
class QuoteSpan:
    """A quotation inside one paragraph: mark positions; ``end`` is None when left open."""

    start: int
    end: int | None

    def text_in(self, paragraph: str) -> str:
        """Return the quoted words, without the marks."""
        stop = len(paragraph) if self.end is None else self.end
        return paragraph[self.start + 1 : stop].strip()


def quote_spans(paragraph: str) -> list[QuoteSpan]:
    """Return the paragraph's quotations in order, pairing marks by toggling."""
    spans: list[QuoteSpan] = []
    opened: int | None = None
    for index, character in enumerate(paragraph):
        if character not in QUOTE_MARKS:
            continue
        if opened is None:
            opened = index
        else:
            spans.append(QuoteSpan(opened, index))
            opened = None
    if opened is not None:
        spans.append(QuoteSpan(opened, None))
    return spans


def ends_inside_quote(paragraph: str) -> bool:
    """Return True when the paragraph leaves a quotation open at its end."""
    spans = quote_spans(paragraph)
    return bool(spans) and spans[-1].end is None


def starts_with_quote(paragraph: str) -> bool:
    """Return True when the paragraph opens with a quotation mark."""
    stripped = paragraph.lstrip()
    return bool(stripped) and stripped[0] in QUOTE_MARKS


def _is_abbreviation(text_before: str) -> bool:
    match = _WORD_BEFORE.search(text_before)
    if match is None:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(paragraph: str) -> list[str]:
    """Split ``paragraph`` into sentences, never inside a quotation."""
    sentences: list[str] = []
    start = 0
    inside = False
    length = len(paragraph)
    index = 0
    while index < length:
        character = paragraph[index]
        if character in QUOTE_MARKS:
            inside = not inside
        elif character in TERMINALS and not inside:
            end = index + 1
            while end < length and paragraph[end] in TERMINALS:
                end += 1
            next_start = end
            while next_start < length and paragraph[next_start].isspace():
                next_start += 1
            boundary = next_start == length or (
                next_start > end
                and (
                    paragraph[next_start].isupper()
                    or paragraph[next_start].isdigit()
                    or paragraph[next_start] in QUOTE_MARKS
                )
            )
            before = paragraph[max(start, index - ABBREVIATION_WINDOW) : index]
            if boundary and not (character == "." and _is_abbreviation(before)):
                sentence = paragraph[start:end].strip()
                if sentence:
                    sentences.append(sentence)
                start = next_start
                index = next_start
                continue
        elif character in TERMINALS and inside:
            # ". ”" - a closing mark after a terminal, spaced: close here and split after it
            probe = index + 1
            while probe < length and paragraph[probe] == " ":
                probe += 1
            if probe < length and paragraph[probe] in QUOTE_MARKS:
                after = probe + 1
                found = _NOT_SPACE.search(paragraph, after)
                rest_at = found.start() if found else length
                if rest_at == length or paragraph[rest_at].isupper() or (
                    paragraph[rest_at] in QUOTE_MARKS
                ):
                    sentence = paragraph[start:after].strip()
                    if sentence:
                        sentences.append(sentence)
                    inside = False
                    start = rest_at
                    index = start
                    continue
        index += 1
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
