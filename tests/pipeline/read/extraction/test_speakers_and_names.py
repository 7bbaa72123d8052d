"""Issue 16: speakers in the common news forms, one name per person, and issue 13 finding
5: quote and name extraction stay linear on a page of tens of thousands of quotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.quote_attribution import DEFAULT_DATA, DEFAULT_LABELS, measure
from bot.core.models import Quote
from bot.pipeline.read.extraction.names import canonical_person, speaker_matches
from bot.pipeline.read.extraction.organizations import find_organizations
from bot.pipeline.read.extraction.people import (
    find_people,
    find_people_and_roles,
    find_people_with_aliases,
)
from bot.pipeline.read.extraction.pipeline import _analyse
from bot.pipeline.read.extraction.places import find_places, gazetteer
from bot.pipeline.read.extraction.quotes import extract_quotes

SAID = "we will not accept any delay in the review of this case"


def speakers(paragraphs: tuple[str, ...], known: tuple[str, ...] = ()) -> list[str | None]:
    """The speakers as the pipeline finds them: people and their roles first, then quotes."""
    people, roles = find_people_and_roles(paragraphs)
    named = [*known, *(name for name, _aliases in people)]
    return [quote.speaker for quote in extract_quotes(paragraphs, named, roles=roles)]


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        # X said / said X / X, a professor at Y, said / according to X / X told Y
        ((f"“{SAID},” Ana Silva said.",), ["Ana Silva"]),
        ((f"“{SAID},” said Ana Silva.",), ["Ana Silva"]),
        ((f"“{SAID},” Ana Silva, a professor at Lisbon University, said.",), ["Ana Silva"]),
        ((f"“{SAID},” according to Ana Silva.",), ["Ana Silva"]),
        ((f"“{SAID},” Ana Silva told Reuters.",), ["Ana Silva"]),
        ((f"Ana Silva told Reuters: “{SAID}.”",), ["Ana Silva"]),
        # a role or an abbreviated title before the name; lower-case roles after the verb
        ((f"“{SAID},” Dr. Ronald Moy, a dermatologist, tells HelloGiggles.",), ["Ronald Moy"]),
        ((f"“{SAID},” ISD spokesman Tahir Della told DW.",), ["Tahir Della"]),
        ((f"“{SAID},” said lead author Josh Leipheimer, a student.",), ["Josh Leipheimer"]),
        ((f"“{SAID},” BVI Governor John Rankin said in a statement.",), ["John Rankin"]),
        ((f"In Dr. Shadlen’s words, “{SAID}?”",), ["Shadlen"]),
        # a second quotation in the paragraph of an attributed one
        ((f"“{SAID},” said Ana Silva. “And a second sentence of hers, said after.”",),
         ["Ana Silva", "Ana Silva"]),
        # "the director said" is the one person the text calls director
        (("The director, Ana Silva, spoke first.", f"The director noted that “{SAID}.”"),
         ["Ana Silva"]),
        # a testimonial: the quotation, then a paragraph that is a name and a publication
        ((f"“{SAID}.”", "Larry Magid, Forbes"), ["Larry Magid"]),
        # the paragraph before introduces the quotation
        (("In an article, Greta Thunberg states the following:", f"“{SAID}.”"),
         ["Greta Thunberg"]),
        # nobody: anonymous sources and titles are no speakers
        ((f"One, who asked not to be named, said: “{SAID}.”",), [None]),
        ((f"Re. “{SAID},” Page A8, Jan. 13:",), [None]),
    ],
)  # fmt: skip
def test_speaker_forms(paragraphs: tuple[str, ...], expected: list[str | None]) -> None:
    assert speakers(paragraphs) == expected


def test_mr_x_responded_is_the_full_name_named_earlier() -> None:
    paragraphs = (
        "Health secretary Matt Hancock was forced onto the defensive by Tory MPs.",
        f"Mr Hancock responded: “{SAID}.",
        "“That is why the rules came in so fast, and why we may need to act fast again.”",
    )
    people = find_people(paragraphs)
    assert people == ("Matt Hancock",)
    assert speakers(paragraphs, people) == ["Matt Hancock"]
    assert extract_quotes(paragraphs, people)[0].text.startswith(SAID)
    assert "act fast again" in extract_quotes(paragraphs, people)[0].text


def test_a_quotation_continued_over_paragraphs_keeps_its_speaker() -> None:
    paragraphs = (
        "His Honour Judge Neil Ford QC sentenced Hartley to three years.",
        f"Judge Ford said: “{SAID}.",
        "“You knew the potential dangers of a carbon monoxide leak.",
        "“You knew that carbon monoxide is an insidious gas that can overwhelm people.”",
    )
    people = find_people(paragraphs)
    assert people == ("Neil Ford",)
    quotes = extract_quotes(paragraphs, people)
    assert [quote.speaker for quote in quotes] == ["Neil Ford"]
    assert "insidious gas" in quotes[0].text


def test_he_said_is_the_person_last_named() -> None:
    paragraphs = (
        "According to Shiguematsu, the sky went dark. He had read about the fires.",
        f"“{SAID},” he said.",
    )
    known = ("Alberto Shiguematsu",)
    assert speakers(paragraphs, known) == ["Alberto Shiguematsu"]
    after_two_speakers = (
        f"“{SAID},” said Ana Silva.",
        "Her colleague Paulo Costa disagreed with the plan at the meeting.",
        f"“{SAID} either,” he said.",
    )
    assert speakers(after_two_speakers, ("Paulo Costa",)) == ["Ana Silva", "Paulo Costa"]


def test_he_said_after_someone_unknown_is_left_unattributed() -> None:
    paragraphs = (
        "The record samples the voice of astronomer Carl Sagan, which allowed Luboku to reflect.",
        f"“{SAID},” he says.",
    )
    assert speakers(paragraphs, ("Carl Sagan",)) == [None]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("John Rankin Thursday", "John Rankin"),
        ("BVI Governor John Rankin", "John Rankin"),
        ("British Virgin Islands (BVI) Governor John Rankin", "John Rankin"),
        ("His Honour Judge Neil Ford QC", "Neil Ford"),
        ("Prof Gavin Yamey", "Gavin Yamey"),
        ("Baark Volunteer Coordinator Bonnie Young", "Bonnie Young"),
        ("the ACLU's Jay Stanley", "Jay Stanley"),
        ("Gayle King", "Gayle King"),
        ("Mr", None),
        ("Tuesday", None),
    ],
)
def test_canonical_person(raw: str, canonical: str | None) -> None:
    assert canonical_person(raw) == canonical


RANKIN = (
    "British Virgin Islands (BVI) Governor John Rankin Thursday called for calm after "
    "United States Drug Enforcement Agency (DEA) officials arrested the Caribbean "
    "Territory’s Premier Andrew Alturo Fahie, 51.",
    "On Thursday, investigators held Fahie and the BVI’s port director, Oleanvine Maynard, "
    "at a Miami airport on drug and money laundering charges.",
    "“I realise this will be shocking news for people in the Territory. And I would call "
    "for calm at this time,” BVI Governor John Rankin said in a statement.",
    "British Foreign Secretary Elizabeth Truss said she was ‘appalled’ by the allegations.",
    "As a result of Fahie’s arrest, BVI Deputy Premier Natalio Wheatley will act as Premier.",
)


def test_one_entry_per_person_with_titles_and_dates_kept_as_aliases() -> None:
    people = dict(find_people_with_aliases(RANKIN, not_people=gazetteer()))
    assert list(people) == [
        "John Rankin", "Andrew Alturo Fahie", "Oleanvine Maynard", "Elizabeth Truss",
        "Natalio Wheatley",
    ]  # fmt: skip
    assert {"John Rankin Thursday", "BVI Governor John Rankin"} <= set(people["John Rankin"])


def test_a_place_with_its_abbreviation_is_a_place_not_an_organisation() -> None:
    _text, _summary, (people, organizations, places, quotes) = _analyse(RANKIN, 600)
    assert "British Virgin Islands" not in [o.name for o in organizations]
    assert "BVI" not in [alias for o in organizations for alias in o.aliases]
    assert "British Virgin Islands" in places
    assert people[0] == "John Rankin"
    assert quotes[0].speaker == "John Rankin"
    assert find_organizations(["the British Virgin Islands (BVI) and the BVI"], gazetteer()) == ()


@pytest.mark.parametrize(
    ("who", "speaker", "matches"),
    [
        ("Hancock", "Matt Hancock", True),
        ("matt hancock", "Matt Hancock", True),
        ("Mr Hancock", "Matt Hancock", True),
        ("Governor John Rankin", "John Rankin", True),
        ("John Rankin Thursday", "John Rankin", True),
        ("Rankin", "Ian Rankin", True),
        ("Hancock", "Matt Hancocks", False),
        ("Rankin", None, False),
    ],
)
def test_quotes_who_finds_a_person_by_surname_full_name_or_alias(
    who: str, speaker: str | None, matches: bool
) -> None:
    assert speaker_matches(who, speaker) is matches


# Issue 13, finding 5. Before the fix every quotation copied the rest of its paragraph
# (and searched names against all the others): 8,000 quotations took 5 s and 50,000 more
# than 200 s, past pytest's 120 s timeout; now each looks at a bounded window around it.
QUOTATIONS = 50_000


def test_a_page_of_50000_short_quotations_is_read_in_one_pass() -> None:
    quotation = "“one two three four five six {n},” said Anna Berg."
    page = " ".join(quotation.format(n=n) for n in range(QUOTATIONS))
    assert len(page) > 2_500_000
    quotes = extract_quotes((page,))
    assert len(quotes) == QUOTATIONS
    assert {quote.speaker for quote in quotes} == {"Anna Berg"}
    assert quotes[-1] == Quote("Anna Berg", None, f"one two three four five six {QUOTATIONS - 1}")


def test_names_on_a_page_of_20000_different_speakers_are_found_in_one_pass() -> None:
    # Before the fix, places blanked out every taken name with one str.replace over the
    # page each (20,000 names x 1.8 MB), and acronyms were matched against every run.
    count = 20_000
    names = [f"Xa{n:05d} Yo{n:05d}" for n in range(count)]
    page = " ".join(
        f"“one two three four five six {n},” said {names[n]}, a professor. ABC{n % 7} rose."
        for n in range(count)
    )
    people = find_people([page])
    assert len(people) == count
    assert find_places([page], taken=names) == ()
    assert find_organizations([page]) == ()
    assert len({quote.speaker for quote in extract_quotes((page,), people)}) == count


def test_attribution_on_the_labelled_dev_set_meets_the_bar() -> None:
    if not (DEFAULT_DATA / "copies-dev").is_dir():
        pytest.skip(f"the shared data is not at {DEFAULT_DATA}")
    labels = json.loads(Path(DEFAULT_LABELS).read_text(encoding="utf-8"))["quotes"]
    assert len(labels) >= 100
    result = measure(DEFAULT_DATA, labels)
    assert result.precision() >= 0.95, result.misses
    assert result.recall() >= 0.90, result.misses
