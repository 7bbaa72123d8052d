"""Boilerplate-proof copies: a company's "About" paragraph does not make two of its press
releases one story, and real copies are still found."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.pipeline.story.copies import CopyIndex, fingerprint, group_copies
from bot.pipeline.story.copies.boilerplate import feed_site, site_of
from bot.pipeline.story.copies.command import run_copies_command
from tests.pipeline.story.copies.test_index import article, spun

RELEASES = Path(__file__).resolve().parents[3] / "fixtures" / "releases"
NEWSROOM = "newsroom.acme.example"
AGGREGATOR = "wirefeed.example"
ABOUT = article(9000, 150)  # the company's long "About" paragraph, in every release


def release(seed: int) -> str:
    """A short release of the company: 60 words of news, then the About paragraph."""
    return f"{article(seed, 60)} {ABOUT}"


def test_two_releases_of_one_company_sharing_its_about_paragraph_are_not_one_story(
    tmp_path: Path,
) -> None:
    pages = []
    for fixture in sorted(RELEASES.glob("acme_release_*.html")):
        page = tmp_path / fixture.name
        page.write_text(fixture.read_text().replace("{base}", f"https://{NEWSROOM}"))
        pages.append(str(page))
    out = io.StringIO()
    assert run_copies_command(pages, stdout=out) == 0
    assert json.loads(out.getvalue())["groups"] == [[pages[0]], [pages[1]]]


def test_without_sites_the_about_paragraph_alone_reaches_the_copy_threshold() -> None:
    texts = {"warehouse": release(1), "results": release(2)}
    assert group_copies(texts) == [["warehouse", "results"]]  # what sites are there to stop
    sites = dict.fromkeys(texts, NEWSROOM)
    assert group_copies(texts, sites=sites) == [["warehouse"], ["results"]]


def test_a_site_re_posting_its_own_article_is_still_a_copy() -> None:
    texts = {"first": release(1), "again": release(1) + " Updated with a correction."}
    assert group_copies(texts, sites=dict.fromkeys(texts, NEWSROOM)) == [["first", "again"]]


def test_boilerplate_a_site_repeats_does_not_count_against_another_site() -> None:
    index = CopyIndex()
    for number in (1, 2, 3):
        index.add(number, fingerprint(release(number)), NEWSROOM)
    # An aggregator republishes release 3: a copy of it, and of nothing else.
    republished = fingerprint(release(3))
    assert index.find_copy_of(republished, AGGREGATOR) == (3, 1.0)
    index.add(4, republished, AGGREGATOR)
    # A new release shares only the About paragraph with the aggregator's copy of release 3:
    # the newsroom repeats it across its other releases, so it does not count.
    new_release = fingerprint(release(5))
    assert index.find_copy_of(new_release, NEWSROOM) is None
    plain = CopyIndex.from_fingerprints(
        [(number, fingerprint(release(number))) for number in (1, 2, 3)]
    )
    assert plain.find_copy_of(new_release) is not None  # without sites it would be one story


def test_an_aggregator_carrying_one_article_twice_still_finds_the_original() -> None:
    original = article(42, 300)
    index = CopyIndex()
    index.add(1, fingerprint(original), "publisher.example")
    index.add(2, fingerprint(spun(original, 0.15, seed=1)), AGGREGATOR)
    found = index.find_copy_of(fingerprint(spun(original, 0.3, seed=2)), AGGREGATOR)
    assert found is not None and found[0] == 1


def test_sites_come_from_the_canonical_address_else_the_article_address() -> None:
    assert site_of(None, "https://WWW.Example.com/a?b") == "example.com"
    assert site_of("https://news.example/x", "https://feed.example/y") == "news.example"
    assert site_of(None, "") is None
    assert feed_site(7, None, "https://example.com/a") == "example.com (feed 7)"
    assert feed_site(7, None) is None
