"""Extractive summary: the article's own sentences, lead first, fitting a length.

Rules:

- Units are whole sentences (``sentences.split_sentences``), so a quotation is never cut:
  a sentence holding a quotation holds all of it, and sentences that belong to a
  quotation running over several paragraphs are left out (they have no closing mark).
- Scores favour the lead (earlier sentences weigh more) and, less, sentences that share
  the article's frequent words; very short sentences (under five words) are left out.
- Sentences are taken by score while they fit ``limit`` characters (joined by one space)
  and printed in article order; the result is never longer than ``limit``.
- Only if no sentence fits at all is the first sentence cut at a word, never inside a
  quotation, with "…" appended.
"""

from __future__ import annotations

import re
from collections import Counter

from bot.pipeline.read.extraction.sentences import (
    QUOTE_MARKS,
    ends_inside_quote,
    split_sentences,
    starts_with_quote,
)

MIN_WORDS = 5
LEAD_DECAY = 0.25
CENTRALITY_WEIGHT = 0.35
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)


def _balanced(sentence: str) -> bool:
    return sum(character in QUOTE_MARKS for character in sentence) % 2 == 0


def _terminated(sentence: str) -> bool:
    return sentence.rstrip(" ”\"»'’)").endswith((".", "!", "?", "…"))


def _candidates(text: str) -> list[str]:
    sentences: list[str] = []
    previous_open = False
    for paragraph in text.split("\n\n"):
        line = " ".join(paragraph.split())
        continues_quote = previous_open and starts_with_quote(line)
        previous_open = ends_inside_quote(line)
        if not continues_quote:
            sentences.extend(split_sentences(line))
    return sentences


def _truncate(sentence: str, limit: int) -> str:
    cut = sentence[: max(limit - 1, 0)]
    inside_at = [index for index, character in enumerate(cut) if character in QUOTE_MARKS]
    if len(inside_at) % 2 == 1:
        cut = cut[: inside_at[-1]]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return (cut.rstrip(" ,;:") + "…") if cut else ""


def summarize(text: str, limit: int = 600) -> str:
    """Return a lead-weighted extractive summary of ``text`` in at most ``limit`` chars."""
    if limit <= 0:
        return ""
    sentences = _candidates(text)
    usable = [
        (order, sentence)
        for order, sentence in enumerate(sentences)
        if len(sentence.split()) >= MIN_WORDS and _balanced(sentence) and _terminated(sentence)
    ]
    if not usable:
        usable = list(enumerate(sentences))
    if not usable:
        return ""
    frequency = Counter(word.casefold() for word in _WORD.findall(text))
    top = max(frequency.values(), default=1)

    def score(item: tuple[int, str]) -> float:
        order, sentence = item
        words = [word.casefold() for word in _WORD.findall(sentence)]
        centrality = sum(frequency[word] for word in words) / (top * max(len(words), 1))
        return 1.0 / (1.0 + LEAD_DECAY * order) + CENTRALITY_WEIGHT * centrality

    chosen: list[tuple[int, str]] = []
    used = 0
    for item in sorted(usable, key=score, reverse=True):
        extra = len(item[1]) + (1 if chosen else 0)
        if used + extra <= limit:
            chosen.append(item)
            used += extra
    if not chosen:
        return _truncate(usable[0][1], limit)
    return " ".join(sentence for _order, sentence in sorted(chosen))
