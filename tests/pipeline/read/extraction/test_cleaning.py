"""Cleaning removes whole junk paragraphs and never an article sentence."""

from __future__ import annotations

from datetime import date

import pytest

from bot.pipeline.read.extraction.cleaning import (
    clean_paragraphs,
    is_boilerplate,
    is_caption_with_credit,
)

JUNK_LINES = [
    "Source link",
    "By admin",
    "Posted by editor",
    "Leave a Reply",
    "Leave a comment",
    "Your email address will not be published.",
    "Your email address will not be published. Required fields are marked *",
    "Related Posts",
    "You may also like",
    "Share this:",
    "Facebook Twitter WhatsApp Email",
    "Click to share on Twitter (Opens in new window)",
    "Read also: Markets rally as oil prices fall",
    "Lea también: Impiden ingreso a Nicaragua a reportero",
    "Mehr zum Thema:",
    "Advertisement",
    "View Comments",
    "Sign up for our daily newsletter",
    "Post navigation",
    "Tags: China, Kazakhstan",
]
ARTICLE_SENTENCES = [
    "The source of the leak was never found, the ministry said.",
    "Related posts on social media were removed within hours.",
    "By admin standards, the request was unusual, she said.",
    "Share prices fell 4% on Tuesday.",
    "Leave a reply to the minister's letter, the union urged its members.",
    "“Your email address will not be published,” the site promised, but it was.",
    "Police said the photo was taken in 2019.",
    "Photographs by Getty Images photographers were used across the world, the agency said "
    "in a statement on Monday, adding that it would review the licence terms.",
    "Comments from the president came late on Friday.",
    "Advertisement spending rose by a fifth last year, according to the survey.",
    "Tags on the luggage were traced to a depot in Leeds.",
    "Source: the figures come from the national statistics office, which publishes them monthly.",
]


@pytest.mark.parametrize("line", JUNK_LINES)
def test_junk_lines_are_recognised(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize("sentence", ARTICLE_SENTENCES)
def test_article_sentences_are_never_removed(sentence: str) -> None:
    cleaned = clean_paragraphs(("First paragraph of the story.", sentence, "Last one."), "Title")
    assert sentence in cleaned.paragraphs


@pytest.mark.parametrize(
    "caption",
    [
        "Police officers patrol China-Tajikistan border this month © A Ran / Costfoto / "
        "Future Publishing via Getty Images",
        "The harbour at dawn (Photo by Jane Smith/AFP via Getty Images)",
        "Der Bahnhof am Morgen. Foto: dpa",
        "Protesters in Almaty. Photo: Reuters",
    ],
)
def test_captions_with_credits_are_recognised(caption: str) -> None:
    assert is_caption_with_credit(caption)


def test_date_widget_title_and_caption_copies_go() -> None:
    paragraphs = (
        "Fri. Jul 1st, 2022",
        "By admin",
        "China’s Kazakhstan dilemma",
        "The last Russian troops returned home from Kazakhstan on Wednesday.",
        "Police this month patrol the border between China and Tajikistan",
        "Police officers patrol China-Tajikistan border this month © A Ran / Getty Images",
        "Zhang Xin added: “I do not read it as a clear offer.”",
        "Source link",
    )
    cleaned = clean_paragraphs(
        (*paragraphs, "China’s Kazakhstan dilemma"), "China's Kazakhstan dilemma"
    )
    assert cleaned.paragraphs == (
        "China’s Kazakhstan dilemma",
        "The last Russian troops returned home from Kazakhstan on Wednesday.",
        "Zhang Xin added: “I do not read it as a clear offer.”",
    )
    assert cleaned.widget_dates == (date(2022, 7, 1),)


def test_a_repeated_short_line_is_kept_once() -> None:
    paragraphs = ("A subheading", "Text of the story goes here.", "A subheading", "More text.")
    assert clean_paragraphs(paragraphs).paragraphs == (
        "A subheading",
        "Text of the story goes here.",
        "More text.",
    )
