"""Grouping: every key exactly once; on copies-dev, the issue's precision and recall bar."""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from bot.pipeline.story.copies import group_copies
from bot.pipeline.story.copies.fingerprint import fingerprint
from bot.pipeline.story.copies.grouping import group_fingerprints
from bot.pipeline.story.copies.page_text import read_article_text
from tests.fixtures import SHARED

DATA = SHARED / "data"
COPIES_DEV = DATA / "copies-dev"


def pairs(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(pair) for group in groups for pair in combinations(group, 2)}


def test_every_key_in_exactly_one_group() -> None:
    base = " ".join(f"word{number}" for number in range(60))
    texts = {
        "original": base,
        "excerpt": " ".join(base.split()[:25]),
        "other": " ".join(f"other{number}" for number in range(60)),
        "short": "too short",
        "empty": "",
    }
    groups = group_copies(texts)
    assert sorted(key for group in groups for key in group) == sorted(texts)
    assert ["original", "excerpt"] in groups
    assert ["short"] in groups and ["empty"] in groups
    assert group_copies({}) == []


@pytest.fixture(scope="module")
def copies_dev() -> tuple[dict[str, str], list[list[str]]]:
    if not COPIES_DEV.is_dir():
        pytest.skip(f"copies-dev data set not found at {COPIES_DEV} (../shared/data)")
    truth = json.loads((COPIES_DEV / "groups.json").read_text(encoding="utf-8"))["groups"]
    pages = sorted((COPIES_DEV / "pages").iterdir())
    texts = {page.name: read_article_text(page) for page in pages}
    return texts, truth


@pytest.mark.parametrize("use_index", [False, True], ids=["all-pairs", "lsh-index"])
def test_copies_dev_precision_and_recall(
    copies_dev: tuple[dict[str, str], list[list[str]]], use_index: bool
) -> None:
    texts, truth = copies_dev
    names = list(texts)
    positions = group_fingerprints([fingerprint(texts[n]) for n in names], use_index=use_index)
    groups = [[names[p] for p in group] for group in positions]
    assert sorted(n for g in groups for n in g) == sorted(names)
    got, want = pairs(groups), pairs(truth)
    precision = len(got & want) / len(got)
    recall = len(got & want) / len(want)
    assert precision >= 0.99, f"precision {precision:.4f}"
    assert recall >= 0.97, f"recall {recall:.4f}"
