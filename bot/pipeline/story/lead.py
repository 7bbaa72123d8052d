"""Which source a story's post leads with: its title, link, summary, date and image.

Rules, first that decides wins (among the sources the server follows):

1. **The original**: the source at the story's original address (the one the copies credit
   as "originally published by", when the server follows it).
2. **The earliest published**: the source whose page gives the earliest publication time,
   strictly earlier than every other dated source, when at least two sources are dated (a
   source without a date cannot claim to be first, nor be shown later than another; two
   sources dated alike decide nothing).
3. **The least altered**: the source whose shingles the other sources share most, counted
   in shingles (``Σ |S_i ∩ S_j|`` over the others): a reworded copy has replaced words the
   others kept, and an excerpt has fewer shingles to share, so the faithful full text
   scores highest. A tie decides nothing.
4. Otherwise the source seen first.

The choice is made each time a post is rendered, so when a better source arrives later the
post is edited to lead with it (``bot.pipeline.deliver``); ``/story`` says why
(:attr:`Lead.reason`). :func:`story_lead` reads the fingerprints rule 3 needs and compares
them off the event loop (the work grows with the square of the source count).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from bot.core.models import Story, StorySource
from bot.core.text import trim_text
from bot.pipeline.story.copies.fingerprint import parse_record
from bot.pipeline.story.copies.index import shared_count
from storage import Repositories


@dataclass(frozen=True)
class Lead:
    """The source a post leads with, and one sentence saying why."""

    source: StorySource
    reason: str

    @property
    def article_id(self) -> int:
        """Return the article the post is rendered from."""
        return self.source.article_id


def original_source(story: Story) -> StorySource | None:
    """Return the source at the story's original address, if the server follows it."""
    if story.original_url_key is None:
        return None
    return next((s for s in story.sources if s.url_key == story.original_url_key), None)


def earliest_published(story: Story) -> StorySource | None:
    """Return the source published strictly before every other dated source, if any."""
    dated = sorted(
        (s for s in story.sources if s.published_at is not None),
        key=lambda s: s.published_at or s.first_seen_at,
    )
    if len(dated) < 2 or dated[0].published_at == dated[1].published_at:
        return None
    return dated[0]


def needs_text_comparison(story: Story) -> bool:
    """Return whether the lead depends on the sources' texts (rule 3)."""
    return (
        len(story.sources) > 2
        and original_source(story) is None
        and earliest_published(story) is None
    )


def shared_shingle_scores(records: Mapping[int, bytes]) -> dict[int, int]:
    """Return, for each article's stored fingerprint record, how many shingles it shares with
    the others in all (``Σ_j |S_i ∩ S_j|``); an unreadable record scores nothing."""
    arrays = {}
    for article_id, record in records.items():
        try:
            arrays[article_id] = parse_record(record)[1]
        except ValueError:
            continue
    scores = dict.fromkeys(records, 0)
    for (a, shingles_a), (b, shingles_b) in combinations(arrays.items(), 2):
        shared = shared_count(shingles_a, shingles_b)
        scores[a] += shared
        scores[b] += shared
    return scores


def least_altered(story: Story, scores: Mapping[int, int]) -> StorySource | None:
    """Return the source whose text the others share most, if one scores strictly highest."""
    ranked = sorted(story.sources, key=lambda s: scores.get(s.article_id, 0), reverse=True)
    if len(ranked) < 2:
        return None
    best, runner_up = (scores.get(s.article_id, 0) for s in ranked[:2])
    return ranked[0] if best > runner_up else None


def choose_lead(story: Story, scores: Mapping[int, int] | None = None) -> Lead:
    """Return the source a story's post leads with (``scores`` from
    :func:`shared_shingle_scores`, needed only when :func:`needs_text_comparison`)."""
    if len(story.sources) == 1:
        only = story.sources[0]
        return Lead(only, f"{_name(only)} leads: it is the only source.")
    original = original_source(story)
    if original is not None:
        return Lead(
            original, f"{_name(original)} leads: it is the original the other sources credit."
        )
    earliest = earliest_published(story)
    if earliest is not None:
        return Lead(earliest, f"{_name(earliest)} leads: it was published first.")
    if len(story.sources) == 2:
        # Two texts share the same shingles each way: their texts cannot tell them apart.
        first = story.sources[0]
        return Lead(first, f"{_name(first)} leads: it was seen first.")
    faithful = least_altered(story, scores or {})
    if faithful is not None:
        return Lead(
            faithful,
            f"{_name(faithful)} leads: its text is the least altered "
            "(the other sources share most of it).",
        )
    first = story.sources[0]
    return Lead(first, f"{_name(first)} leads: it was seen first.")


def _name(source: StorySource) -> str:
    return f"**{trim_text(source.feed_title, 80)}**"


async def story_lead(repositories: Repositories, story: Story) -> Lead:
    """Return the source a story's post leads with, reading its sources' fingerprints only
    when the texts decide."""
    if not needs_text_comparison(story):
        return choose_lead(story)
    records = await repositories.stories.fingerprint_records(
        [source.article_id for source in story.sources]
    )
    scores = await asyncio.to_thread(shared_shingle_scores, records)
    return choose_lead(story, scores)
