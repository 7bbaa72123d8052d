"""Shingling, fingerprints, containment and the copy decision on small texts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.pipeline.story.copies import (
    COPY_THRESHOLD,
    MIN_SHINGLES,
    Fingerprint,
    comparable,
    containment,
    copy_containment,
    fingerprint,
)
from bot.pipeline.story.copies.fingerprint import NUM_PERM
from bot.pipeline.story.copies.shingles import text_shingles, words

ARTICLE = (
    "In the middle of the day on Monday, the sky above São Paulo, Brazil went dark. The city, "
    "along with parts of the Brazilian states of Mato Grosso and Paraná, was blanketed by "
    "smoke from wildfires raging in the Amazon, according to local news reports. Earlier this "
    "month, Amazonas declared a state of emergency over the rising number of forest fires. "
    "Fire season in the Amazon is just beginning, and the smoke can already be seen from space."
)
OTHER = (
    "The British Virgin Islands governor called for calm on Thursday after drug enforcement "
    "officials arrested the territory's premier at a Miami airport on charges of conspiring to "
    "import cocaine and launder money, in a case that stunned residents across the islands."
)


def test_words_fold_case_quotes_dashes_and_punctuation() -> None:
    assert words("They’ve said: “It's FINE” — really…   OK?") == [
        "theyve", "said", "its", "fine", "really", "ok",
    ]  # fmt: skip


def test_typography_does_not_change_shingles() -> None:
    plain = "It's a test - of \"quotes\" and dashes, isn't it"
    fancy = "IT’S a test — of “quotes” and dashes… isn’t it"
    assert text_shingles(plain).tolist() == text_shingles(fancy).tolist()


def test_shingles_are_stable_across_processes() -> None:
    here = text_shingles(ARTICLE).tolist()
    code = (
        "from bot.pipeline.story.copies.shingles import text_shingles;"
        f"print(text_shingles({ARTICLE!r}).tolist())"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert there == str(here)


def test_fewer_than_three_words_have_no_shingles() -> None:
    assert text_shingles("two words").size == 0
    assert len(fingerprint("")) == 0
    assert text_shingles("three words here").size == 1


def test_identical_texts_contain_each_other_fully() -> None:
    assert containment(fingerprint(ARTICLE), fingerprint(ARTICLE)) == 1.0


def test_disjoint_texts_contain_nothing() -> None:
    assert containment(fingerprint(ARTICLE), fingerprint(OTHER)) == 0.0


def test_empty_text_contains_nothing() -> None:
    assert containment(fingerprint(""), fingerprint(ARTICLE)) == 0.0


def test_excerpt_is_fully_contained_whichever_side() -> None:
    excerpt = " ".join(ARTICLE.split()[:30])
    assert containment(fingerprint(excerpt), fingerprint(ARTICLE)) == pytest.approx(1.0)
    assert containment(fingerprint(ARTICLE), fingerprint(excerpt)) == pytest.approx(1.0)


def test_reworded_copy_is_a_copy_and_a_stranger_is_not() -> None:
    reworded = (
        ARTICLE.replace("Monday", "Tuesday").replace("dark", "black").replace("raging", "burning")
        .replace("declared", "announced").replace("rising", "growing")
    )
    assert copy_containment(fingerprint(ARTICLE), fingerprint(reworded)) is not None
    assert copy_containment(fingerprint(ARTICLE), fingerprint(OTHER)) is None


def test_texts_below_the_minimum_are_never_copies() -> None:
    short = " ".join(ARTICLE.split()[: MIN_SHINGLES + 1])  # MIN_SHINGLES - 1 shingles
    assert not comparable(fingerprint(short))
    assert copy_containment(fingerprint(short), fingerprint(ARTICLE)) is None
    long_enough = " ".join(ARTICLE.split()[: MIN_SHINGLES + 2])
    assert comparable(fingerprint(long_enough))
    assert copy_containment(fingerprint(long_enough), fingerprint(ARTICLE)) == 1.0


def test_threshold_is_the_calibrated_one() -> None:
    assert 0.120 < COPY_THRESHOLD < 0.554


def test_fingerprint_round_trips_through_bytes() -> None:
    fp = fingerprint(ARTICLE)
    assert len(fp.minhash) == NUM_PERM
    assert len(fp.lead_minhash) == NUM_PERM
    assert Fingerprint.from_bytes(fp.to_bytes()) == fp
    assert fingerprint(ARTICLE) == fp


@pytest.mark.parametrize(
    "data", [b"", b"NDF1", b"XXXX" + bytes(10), fingerprint(ARTICLE).to_bytes()[:-1]]
)
def test_from_bytes_refuses_broken_records(data: bytes) -> None:
    with pytest.raises(ValueError, match="fingerprint record"):
        Fingerprint.from_bytes(data)


def test_batch_minhash_matches_the_single_text_one() -> None:
    import numpy as np  # noqa: PLC0415

    from bot.pipeline.story.copies.fingerprint import minhash_rows, minhash_signature  # noqa: PLC0415

    rows = np.stack([text_shingles(ARTICLE)[:30], text_shingles(OTHER)[:30]])
    batch = minhash_rows(rows)
    assert batch[0].tolist() == minhash_signature(np.unique(rows[0])).tolist()
    assert batch[1].tolist() == minhash_signature(rows[1]).tolist()
