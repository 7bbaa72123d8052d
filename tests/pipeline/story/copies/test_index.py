"""The copy index: add, remove, find the best earlier copy, rebuild from stored bytes."""

from __future__ import annotations

import random

from bot.pipeline.story.copies import CopyIndex, Fingerprint, fingerprint

VOCABULARY = [f"w{number}" for number in range(5000)]


def article(seed: int, length: int = 300) -> str:
    """Return a deterministic random text of ``length`` words."""
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(length))


def spun(text: str, share: float, seed: int) -> str:
    """Return ``text`` with ``share`` of its words swapped for others."""
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) if rng.random() < share else w for w in text.split())


def filled(count: int = 200, merge_every: int = 4096) -> tuple[CopyIndex, dict[int, Fingerprint]]:
    """Return an index of ``count`` random articles, and their fingerprints."""
    index = CopyIndex(merge_every=merge_every)
    prints = {number: fingerprint(article(number)) for number in range(count)}
    for number, fp in prints.items():
        index.add(number, fp)
    return index, prints


def test_finds_republished_reworded_excerpt_and_teaser_copies() -> None:
    for merge_every in (4096, 16):  # fresh dict only, and merged sorted arrays
        index, _ = filled(merge_every=merge_every)
        original = article(7)
        assert index.find_copy_of(fingerprint(original)) == (7, 1.0)
        found = index.find_copy_of(fingerprint(spun(original, 0.3, seed=1)))
        assert found is not None and found[0] == 7 and found[1] > 0.3
        assert index.find_copy_of(fingerprint(" ".join(original.split()[:120]))) == (7, 1.0)
        assert index.find_copy_of(fingerprint(" ".join(original.split()[:20]))) == (7, 1.0)


def test_unrelated_article_and_short_text_find_nothing() -> None:
    index, _ = filled()
    assert index.find_copy_of(fingerprint(article(10_000))) is None
    assert index.find_copy_of(fingerprint(" ".join(article(7).split()[:10]))) is None


def test_best_match_wins_and_ties_go_to_the_earliest() -> None:
    index, prints = filled(50)
    index.add(100, prints[7])
    assert index.find_copy_of(prints[7]) == (7, 1.0)
    excerpt = fingerprint(" ".join(article(9).split()[:150]))
    index.add(101, excerpt)
    assert index.find_copy_of(prints[9]) == (9, 1.0)


def test_removed_articles_are_not_found() -> None:
    for merge_every in (4096, 16):
        index, prints = filled(merge_every=merge_every)
        index.remove(7)
        index.remove(12345)
        assert 7 not in index
        assert len(index) == 199
        assert index.find_copy_of(prints[7]) is None
        index.add(7, prints[7])
        assert index.find_copy_of(prints[7]) == (7, 1.0)


def test_short_texts_are_not_stored() -> None:
    index = CopyIndex()
    index.add(1, fingerprint("a very short teaser of ten words or so"))
    assert len(index) == 0


def test_rebuilt_index_answers_like_the_original() -> None:
    index, prints = filled()
    rebuilt = CopyIndex.from_records((number, fp.to_bytes()) for number, fp in prints.items())
    same = CopyIndex.from_fingerprints(prints.items())
    assert len(rebuilt) == len(same) == len(index)
    for seed in (3, 77, 150):
        query = fingerprint(spun(article(seed), 0.2, seed=seed))
        assert rebuilt.find_copy_of(query) == index.find_copy_of(query) == same.find_copy_of(query)
        assert rebuilt.find_copy_of(query) is not None
    rebuilt.add(500, fingerprint(article(500)))
    assert rebuilt.find_copy_of(fingerprint(article(500))) == (500, 1.0)


def test_merges_keep_answers_and_removed_band_keys_are_dropped() -> None:
    """Small frequent merges answer like one big one; forgetting articles frees their keys."""
    merged_often, prints = filled(300, merge_every=16)
    merged_once, _ = filled(300, merge_every=4096)
    for number in (0, 15, 16, 150, 299):
        assert merged_often.find_copy_of(prints[number]) == (number, 1.0)
        assert merged_often.candidate_ids(prints[number]) == merged_once.candidate_ids(
            prints[number]
        )
    keys_before = merged_often._sorted_keys.size
    for number in range(200):  # the reader forgets old articles like this
        merged_often.remove(number)
    for number in range(300, 340):  # later additions trigger the clean-up merge
        merged_often.add(number, fingerprint(article(number)))
    assert merged_often._sorted_keys.size < keys_before  # dead keys were dropped
    assert merged_often.find_copy_of(prints[250]) == (250, 1.0)
    assert merged_often.find_copy_of(prints[100]) is None
