"""Publisher names in credits and /summarize: invisible and bidi characters never survive."""

from __future__ import annotations

import pytest

from bot.features.articles import describe_extracted
from bot.pipeline.read.extraction import extract_article
from bot.pipeline.story.credits import publisher_name

PARAGRAPHS = "<p>The committee met on Monday and agreed a new budget for the year.</p>" * 6


@pytest.mark.parametrize(
    ("credited", "shown"),
    [
        ("The Daily Paper", "The Daily Paper"),
        ("\u202eThe Daily Paper", "The Daily Paper"),  # right-to-left override
        ("The\u061c Daily\u200f Paper\u2066", "The Daily Paper"),  # Arabic letter mark, RLM, LRI
        ("\u3164", "orig.example"),  # a Hangul filler is no name
        ("\uffa0 \u200b", "orig.example"),
        (None, "orig.example"),
    ],
)
def test_publisher_names_lose_invisible_characters(credited: str | None, shown: str) -> None:
    assert publisher_name(credited, "https://www.orig.example/story") == shown


def test_summarize_shows_a_credited_name_without_its_override() -> None:
    page = (
        f"<html><body><article>{PARAGRAPHS}<p>Source: <a href='https://paper.example/x'>"
        "The \u202eDaily Paper</a></p></article></body></html>"
    )
    article = extract_article(page, url="https://blog.example/post")
    assert article.original_url == "https://paper.example/x"
    reply = describe_extracted("https://blog.example/post", article)
    assert "Originally published by [The Daily Paper](<https://paper.example/x>)" in reply
    assert "\u202e" not in reply
