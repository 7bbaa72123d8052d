"""Which source a story's post leads with, and why (``bot.pipeline.story.lead``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.models import Story, StorySource
from bot.pipeline.story.copies import fingerprint
from bot.pipeline.story.lead import choose_lead, needs_text_comparison, shared_shingle_scores

SEEN = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
ARTICLE = (
    "The city council of Port Averell voted on Tuesday to build a floating solar farm on the"
    " disused Millbrook reservoir, a project officials say will supply about a fifth of the"
    " power used by municipal buildings. The array of some twelve thousand panels will sit on"
    " pontoons anchored to the reservoir bed, leaving room around the edges for the herons"
    " that nest on the eastern bank. Construction is expected to begin next spring and take"
    " about eighteen months, and the council expects the farm to cost about nine million."
)
SWAPS = {"city": "town", "build": "construct", "disused": "abandoned", "supply": "provide",
         "panels": "modules", "anchored": "moored", "edges": "borders", "begin": "start",
         "expected": "due", "cost": "total", "power": "energy", "nest": "breed"}


def reworded(text: str) -> str:
    return " ".join(SWAPS.get(word, word) for word in text.split(" "))


def source(
    article_id: int, name: str, *, key: str | None = None, published_hours: int | None = None
) -> StorySource:
    published = SEEN - timedelta(hours=published_hours) if published_hours is not None else None
    return StorySource(
        article_id=article_id, title=f"Solar farm ({name})", url=f"https://{name}.example/a",
        url_key=key, feed_title=name, feed_site_url=None,
        first_seen_at=SEEN + timedelta(minutes=article_id), published_at=published,
        original_url=None,
    )


def story(*sources: StorySource, original_key: str | None = None) -> Story:
    return Story(
        id=1, original_url_key=original_key,
        original_url=f"https://{original_key}" if original_key else None,
        original_publisher=None, sources=sources,
    )


def test_the_original_leads_even_when_seen_last_and_published_later() -> None:
    carried = story(
        source(1, "Spin", published_hours=10), source(2, "Herald", key="herald.example/a",
                                                      published_hours=1),
        original_key="herald.example/a",
    )
    lead = choose_lead(carried)
    assert lead.article_id == 2
    assert lead.reason == "**Herald** leads: it is the original the other sources credit."


def test_else_the_earliest_published_leads_even_when_seen_later() -> None:
    lead = choose_lead(story(source(1, "Spin", published_hours=2), source(2, "Herald",
                                                                          published_hours=30)))
    assert lead.article_id == 2
    assert lead.reason == "**Herald** leads: it was published first."


def test_an_undated_source_or_a_tie_on_dates_decides_nothing() -> None:
    tied = story(source(1, "Spin", published_hours=5), source(2, "Herald", published_hours=5))
    assert choose_lead(tied).reason == "**Spin** leads: it was seen first."
    undated = story(source(1, "Spin"), source(2, "Herald", published_hours=5), source(3, "X"))
    # One dated source among undated ones is not known to be first: the texts decide.
    assert needs_text_comparison(undated)
    assert choose_lead(undated, {}).reason == "**Spin** leads: it was seen first."


def test_else_the_least_altered_text_leads() -> None:
    excerpt = " ".join(ARTICLE.split(" ")[:40])
    texts = {1: reworded(ARTICLE), 2: excerpt, 3: ARTICLE}
    carried = story(source(1, "Spin"), source(2, "Teaser"), source(3, "Herald"))
    assert needs_text_comparison(carried)
    scores = shared_shingle_scores({i: fingerprint(t).to_bytes() for i, t in texts.items()})
    lead = choose_lead(carried, scores)
    assert lead.article_id == 3
    assert lead.reason == (
        "**Herald** leads: its text is the least altered (the other sources share most of it)."
    )


def test_an_unreadable_fingerprint_scores_nothing_and_a_lone_source_leads() -> None:
    assert shared_shingle_scores({1: b"junk", 2: fingerprint(ARTICLE).to_bytes()}) == {1: 0, 2: 0}
    assert choose_lead(story(source(1, "Solo"))).reason == "**Solo** leads: it is the only source."
