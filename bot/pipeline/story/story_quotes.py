"""A story's quotes: each quotation once, in the wording of the most faithful source, with
every source that carried it.

Rules:

- Sources are merged in the order given: the story's lead first (``bot.pipeline.story.lead``:
  the original, else the earliest published, else the least altered), so a quotation keeps
  the lead's wording and a reworded copy's version of it only adds its source.
- Two quotations are the same when their speakers agree (equal ignoring case, or one of
  them unknown) and their words match: the same words for quotations under
  ``MIN_FUZZY_WORDS`` words, else at least ``SAME_QUOTE_OVERLAP`` of the shorter one's
  distinct words in the other (a copy that swaps synonyms keeps most of a quotation's
  words; two different quotations rarely share more than their function words). Words are
  compared as copy detection compares them (``bot.pipeline.story.copies.shingles.words``).
- A quotation whose lead version has no speaker takes the speaker another source gave it.
- Quotations repeated within one source are merged the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.core.models import Quote
from bot.pipeline.story.copies.shingles import words

MIN_FUZZY_WORDS = 4
SAME_QUOTE_OVERLAP = 0.6


@dataclass(frozen=True)
class QuoteSource:
    """One source of a story, as a quotation's credits name it."""

    name: str
    url: str | None


@dataclass
class StoryQuote:
    """A quotation of a story and every source that carried it, lead first."""

    quote: Quote
    sources: list[QuoteSource] = field(default_factory=list)
    _words: tuple[str, ...] = ()

    def carried_by(self, source: QuoteSource) -> None:
        """Add a source of this quotation (once)."""
        if source not in self.sources:
            self.sources.append(source)


def same_speaker(a: str | None, b: str | None) -> bool:
    """Return whether two speakers can be the same person (one unknown counts)."""
    if a is None or b is None:
        return True
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def same_words(a: Sequence[str], b: Sequence[str]) -> bool:
    """Return whether two quotations' words say the same thing (see the module's rules)."""
    if min(len(a), len(b)) < MIN_FUZZY_WORDS:
        return list(a) == list(b)
    set_a, set_b = set(a), set(b)
    return len(set_a & set_b) / min(len(set_a), len(set_b)) >= SAME_QUOTE_OVERLAP


def merge_quotes(carried: Iterable[tuple[QuoteSource, Sequence[Quote]]]) -> list[StoryQuote]:
    """Return each quotation once, in the first source's wording, with all its sources."""
    merged: list[StoryQuote] = []
    for source, quotes in carried:
        for quote in quotes:
            quote_words = tuple(words(quote.text))
            match = next(
                (
                    known
                    for known in merged
                    if same_speaker(known.quote.speaker, quote.speaker)
                    and same_words(known._words, quote_words)
                ),
                None,
            )
            if match is None:
                merged.append(StoryQuote(quote, [source], quote_words))
                continue
            if match.quote.speaker is None and quote.speaker is not None:
                match.quote = replace(
                    match.quote, speaker=quote.speaker, affiliation=quote.affiliation
                )
            match.carried_by(source)
    return merged
