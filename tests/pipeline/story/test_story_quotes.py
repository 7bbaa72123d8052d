"""A story's quotes once each, in the lead's wording, with every source that carried them."""

from __future__ import annotations

from bot.core.models import Quote
from bot.pipeline.story.story_quotes import QuoteSource, merge_quotes

STEPPE = QuoteSource("Steppe Review", "https://steppe.example/a")
TREND = QuoteSource("Trend Wire", "https://trend.example/b")
FAITHFUL = Quote(
    "Courtney Fung", "an associate professor at Macquarie University",
    "China’s peacekeeping experience informs their evolving approach to broader foreign"
    " security engagement",
)
REWORDED = Quote(
    "Courtney Fung", None,
    "China's peacekeeping experience tells their evolving method to broader foreign security"
    " engagement",
)
OTHER = Quote(
    "Courtney Fung", None,
    "China maintains a positive public record for its peace activities.",
)


def test_a_quote_carried_by_two_sources_appears_once_in_the_lead_wording() -> None:
    merged = merge_quotes([(STEPPE, [FAITHFUL, OTHER]), (TREND, [REWORDED, OTHER])])
    assert [m.quote for m in merged] == [FAITHFUL, OTHER]
    assert [m.sources for m in merged] == [[STEPPE, TREND], [STEPPE, TREND]]


def test_different_quotes_and_different_speakers_stay_apart() -> None:
    short_a = Quote("Ann", None, "We will win.")
    short_b = Quote("Ann", None, "We will lose.")
    by_bob = Quote("Bob", None, FAITHFUL.text)
    merged = merge_quotes([(STEPPE, [short_a, short_b, FAITHFUL]), (TREND, [by_bob])])
    assert [m.quote for m in merged] == [short_a, short_b, FAITHFUL, by_bob]


def test_an_unattributed_lead_quote_takes_the_speaker_a_copy_gave() -> None:
    unattributed = Quote(None, None, FAITHFUL.text)
    (merged,) = merge_quotes([(STEPPE, [unattributed, unattributed]), (TREND, [REWORDED])])
    assert merged.quote == Quote("Courtney Fung", None, FAITHFUL.text)
    assert merged.sources == [STEPPE, TREND]
