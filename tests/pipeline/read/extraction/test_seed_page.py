"""Issue 5's Done-when on the seed page: an auto-blog republication with its junk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.pipeline.read.extraction import ExtractedArticle, Organization, extract_article
from tests.fixtures import FIXTURES, SHARED

PAGE = FIXTURES / "pages" / "seed_republished.html"
SEEDS = SHARED / "seeds"
PAGE_URL = "https://autonewsblog.example/world/chinas-kazakhstan-dilemma/"
JUNK = (
    "Fri. Jul 1st, 2022",
    "By admin",
    "Source link",
    "Leave a Reply",
    "Your email address will not be published",
    "Related Posts",
    "Share this",
    "WhatsApp",
    "Getty Images",
    "©",
    "Required fields are marked",
)


@pytest.fixture(scope="module")
def article() -> ExtractedArticle:
    return extract_article(PAGE.read_bytes(), url=PAGE_URL)


def test_article_paragraphs_are_all_there(article: ExtractedArticle) -> None:
    paragraphs = article.paragraphs
    assert paragraphs[0] == article.title  # the page repeats its headline once in the body
    assert paragraphs[1].startswith("The last Russian troops returned home from Kazakhstan")
    assert paragraphs[-1].startswith("“But the Chinese state is not quite ready")
    for sentence in (
        "The CSTO was not considered a significant alliance until its intervention",
        "In 2015, its navy withdrew 225 Chinese citizens and 600 foreigners from Yemen.",
        "Yang Shu, head of the Central Asia Research Institute, told Russian news agency",
    ):
        assert sentence in article.text
    assert len(paragraphs) == 25


def test_paragraphs_are_the_seed_article_exactly(article: ExtractedArticle) -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        pytest.skip("the seed document is not beside the repository")
    junk = {"Fri. Jul 1st, 2022", "Source link", "By admin", "Leave a Reply",
            "Your email address will not be published."}  # fmt: skip
    expected = [
        " ".join(line.split())
        for line in seeds[0].read_text(encoding="utf-8").splitlines()
        if line.strip() and line not in junk and not line.startswith("Police")
    ]
    assert list(article.paragraphs[1:]) == expected


@pytest.mark.parametrize("junk", JUNK)
def test_no_junk_is_left(article: ExtractedArticle, junk: str) -> None:
    assert junk not in article.text


def test_caption_appears_at_most_once(article: ExtractedArticle) -> None:
    assert article.text.count("patrol") <= 1
    assert article.text.count("China’s Kazakhstan dilemma") <= 1  # the title line, once


def test_metadata(article: ExtractedArticle) -> None:
    assert article.title == "China’s Kazakhstan dilemma: Beijing weighs its non-interference policy"
    assert article.author is None  # "admin" is not an author
    assert article.published == datetime(2022, 1, 19, 21, 0, 12, tzinfo=UTC)
    assert article.canonical_url == PAGE_URL
    assert article.language == "en"
    assert article.image is not None and article.image.endswith("police-border.jpg")


def test_original_publisher_is_credited(article: ExtractedArticle) -> None:
    assert article.original_url is not None
    assert article.original_url.startswith("https://www.ft.com/content/")
    assert article.original_publisher == "Financial Times"


def test_people_organizations_and_places(article: ExtractedArticle) -> None:
    for person in ("Wang Yi", "Mukhtar Tleuberdi", "Zhang Xin", "Shen Yi", "Courtney Fung",
                   "Yang Shu"):  # fmt: skip
        assert person in article.people
    assert "Zhang" not in article.people
    assert Organization("Collective Security Treaty Organization", ("CSTO",)) in (
        article.organizations
    )
    assert Organization("Shanghai Cooperation Organization", ("SCO",)) in article.organizations
    names = {organization.name for organization in article.organizations}
    assert {"East China Normal University", "Fudan University", "Macquarie University"} <= names
    assert {"Kazakhstan", "China", "Beijing", "Shanghai", "Tajikistan", "Yemen"} <= set(
        article.places
    )


def test_quotes_are_attributed_with_affiliations(article: ExtractedArticle) -> None:
    by_speaker: dict[str | None, list[tuple[str | None, str]]] = {}
    for quote in article.quotes:
        by_speaker.setdefault(quote.speaker, []).append((quote.affiliation, quote.text))
    assert set(by_speaker) == {"Zhang Xin", "Shen Yi", "Courtney Fung", "Yang Shu"}
    zhang = by_speaker["Zhang Xin"]
    assert zhang[0][0] == "an expert on Russia and Central Asia at East China Normal University"
    # the first quote runs over two paragraphs
    assert zhang[0][1].startswith("I do not read [Wang’s message]")
    assert zhang[0][1].endswith(
        "But the opinion here is very divided on whether it is good for China."
    )
    assert any(text.startswith("But the Chinese state is not quite ready") for _a, text in zhang)
    assert by_speaker["Shen Yi"][0][0] == (
        "a professor of international politics at Fudan University in Shanghai"
    )
    assert by_speaker["Courtney Fung"][0][0] == "an associate professor at Macquarie University"
    assert by_speaker["Yang Shu"] == [
        (
            "head of the Central Asia Research Institute",
            "I believe that this incident in Kazakhstan was mainly caused by domestic "
            "inconsistencies, we should not take external factors too seriously",
        )
    ]


def test_summary_fits_and_is_whole_sentences(article: ExtractedArticle) -> None:
    assert 0 < len(article.summary) <= 600
    assert article.summary.startswith("The last Russian troops returned home")
    assert article.summary.endswith(".")
