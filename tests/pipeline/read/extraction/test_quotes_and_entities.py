"""Quote attribution and names: rules, acronyms, surnames, gazetteer places."""

from __future__ import annotations

import pytest

from bot.pipeline.read.extraction import Organization, Quote
from bot.pipeline.read.extraction.organizations import find_organizations
from bot.pipeline.read.extraction.people import find_people
from bot.pipeline.read.extraction.places import find_places
from bot.pipeline.read.extraction.quotes import extract_quotes

LONG = "we should not take external factors too seriously at all"


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        ((f"“{LONG},” said Courtney Fung, an associate professor at Macquarie University.",),
         [Quote("Courtney Fung", "an associate professor at Macquarie University", LONG)]),
        ((f"“{LONG},” Yang Shu, head of the Central Asia Research Institute, told Sputnik.",),
         [Quote("Yang Shu", "head of the Central Asia Research Institute", LONG)]),
        ((f"Zhang Xin, an expert at East China Normal University, added: “{LONG}.”",),
         [Quote("Zhang Xin", "an expert at East China Normal University", f"{LONG}.")]),
        ((f"\"{LONG},\" according to Maria Lopez, a lawyer in Madrid.",),
         [Quote("Maria Lopez", "a lawyer in Madrid", LONG)]),
        ((f"„{LONG}“, sagte er.",), [Quote(None, None, LONG)]),
        ((f"“{LONG},” said Anna Berg. “And this is her second quote, said quickly,” she added.",),
         [Quote("Anna Berg", None, LONG),
          Quote("Anna Berg", None, "And this is her second quote, said quickly")]),
        (("The law enforcement and “security cooperation” grows.",), []),
    ],
)  # fmt: skip
def test_attribution(paragraphs: tuple[str, ...], expected: list[Quote]) -> None:
    assert list(extract_quotes(paragraphs)) == expected


def test_a_quote_over_several_paragraphs_is_one_quote() -> None:
    paragraphs = (
        "Zhang Xin, an expert on Russia, added: “I do not read it as a very clear offer.",
        "“There is a strong consensus that Russia’s approach has been effective. ”",
        "The CSTO was not considered significant.",
    )
    assert extract_quotes(paragraphs) == (
        Quote(
            "Zhang Xin",
            "an expert on Russia",
            "I do not read it as a very clear offer. There is a strong consensus that "
            "Russia’s approach has been effective.",
        ),
    )


def test_surname_only_speakers_resolve_to_the_full_name_and_first_affiliation() -> None:
    paragraphs = (
        f"Zhang Xin, an expert on Russia and Central Asia, added: “{LONG}.”",
        f"Zhang, of East China Normal University, said: “{LONG} again.”",
        f"“{LONG} once more,” Zhang added.",
    )
    quotes = extract_quotes(paragraphs)
    assert [quote.speaker for quote in quotes] == ["Zhang Xin"] * 3
    assert {quote.affiliation for quote in quotes} == {"an expert on Russia and Central Asia"}


def test_an_unattributed_quote_paragraph_follows_the_previous_speaker() -> None:
    paragraphs = (f"“{LONG},” said Shen Yi, a professor at Fudan University.", f"“{LONG} too.”")
    assert [quote.speaker for quote in extract_quotes(paragraphs)] == ["Shen Yi", "Shen Yi"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("countries other than the Collective Security Treaty Organization. The CSTO acted.",
         Organization("Collective Security Treaty Organization", ("CSTO",))),
        ("the Shanghai Cooperation Organization (SCO) met.",
         Organization("Shanghai Cooperation Organization", ("SCO",))),
        ("The SCO is a body. It is the Shanghai Cooperation Organization, they said.",
         Organization("Shanghai Cooperation Organization", ("SCO",))),
        ("a UN push", Organization("United Nations", ("UN",))),
        ("He teaches at Fudan University in Shanghai.", Organization("Fudan University")),
        ("the Organization for Security and Co-operation in Europe (OSCE) said",
         Organization("Organization for Security and Co-operation in Europe", ("OSCE",))),
    ],
)  # fmt: skip
def test_acronyms_join_long_forms(text: str, expected: Organization) -> None:
    assert expected in find_organizations([text])


def test_unknown_acronyms_without_a_long_form_are_left_out() -> None:
    assert find_organizations(["The XYZQ index rose 4%."]) == ()


def test_people_by_apposition_honorific_and_speech() -> None:
    paragraphs = [
        "Wang Yi, China’s foreign minister, spoke first.",
        "Mukhtar Tleuberdi, Kazakhstan’s Foreign Minister, indicated Tuesday that it was over.",
        "President Kassym-Jomart Tokayev thanked the troops.",
        "Later, Tleuberdi said the request was rejected, and Wang agreed.",
        "In Kazakhstan, China is a major presence.",
    ]
    people = find_people(paragraphs, not_people=["kazakhstan", "china"])
    assert people == ("Wang Yi", "Mukhtar Tleuberdi", "Kassym-Jomart Tokayev")


def test_places_from_the_gazetteer_outside_organisation_names() -> None:
    paragraphs = [
        "Fudan University in Shanghai and the Shanghai Cooperation Organization met.",
        "Police patrol the China-Tajikistan border, near the Solomon Islands and Central Asia.",
    ]
    places = find_places(paragraphs, taken=["Shanghai Cooperation Organization"])
    assert places == ("Shanghai", "China", "Tajikistan", "Solomon Islands", "Central Asia")
