"""Summary boundaries: whole sentences, lead first, never half a quotation."""

from __future__ import annotations

import pytest

from bot.pipeline.read.extraction import summarize
from bot.pipeline.read.extraction.sentences import split_sentences

LEAD = "The last Russian troops returned home from Kazakhstan on Wednesday."
TEXT = "\n\n".join(
    [
        f"{LEAD} But for its other big neighbour, the trouble has only just begun.",
        "Zhang Xin added: “I do not read it as a clear offer. China will not send troops.”",
        "“There is a strong consensus that Russia’s approach has been effective,” said Shen Yi.",
        "Headline without a stop",
        "The CSTO was not considered a significant alliance until its intervention.",
    ]
)


@pytest.mark.parametrize("limit", [70, 120, 200, 300, 600])
def test_summary_fits_and_ends_on_a_sentence(limit: int) -> None:
    summary = summarize(TEXT, limit)
    assert 0 < len(summary) <= limit
    assert summary.startswith(LEAD)
    assert summary.rstrip("”").endswith(".")


def test_a_quotation_is_never_cut() -> None:
    summary = summarize(TEXT, 600)
    assert "“I do not read it as a clear offer. China will not send troops.”" in summary
    assert "Headline without a stop" not in summary
    for limit in range(60, 400, 7):
        part = summarize(TEXT, limit)
        assert sum(part.count(mark) for mark in "“”") % 2 == 0


def test_a_quotation_running_over_paragraphs_is_left_out() -> None:
    text = (
        "The minister spoke on Tuesday about the border.\n\n"
        "He said: “We will act. The border is long and hard to guard.\n\n"
        "“It will take years,” he added."
    )
    assert summarize(text, 600) == "The minister spoke on Tuesday about the border."


def test_nothing_fits_cuts_at_a_word_with_an_ellipsis() -> None:
    summary = summarize("Averyveryverylongword " * 20 + "ends here.", 50)
    assert len(summary) <= 50 and summary.endswith("…")


def test_empty_text_gives_an_empty_summary() -> None:
    assert summarize("", 600) == ""


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Mr. Smith went to Washington. He left.", ["Mr. Smith went to Washington.", "He left."]),
        ("The U.S. Army is here. It stays.", ["The U.S. Army is here.", "It stays."]),
        ("He said “It is big. Very big.” Then he left.",
         ["He said “It is big. Very big.”", "Then he left."]),
        ("She said: “Bring stability. promote and ensure. ” The SCO is a body.",
         ["She said: “Bring stability. promote and ensure. ”", "The SCO is a body."]),
        ("In a video. blog. Next one.", ["In a video. blog.", "Next one."]),
        ("“Wrong-way close. Still one quote. “ Then text.",
         ["“Wrong-way close. Still one quote. “", "Then text."]),
    ],
)  # fmt: skip
def test_sentences_never_split_inside_quotes(paragraph: str, expected: list[str]) -> None:
    assert split_sentences(paragraph) == expected
