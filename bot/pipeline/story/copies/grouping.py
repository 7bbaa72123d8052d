"""Grouping texts into copies: every text in exactly one group.

Rules:

- Two texts are linked when :func:`.decision.copy_containment` says they are
  copies; groups are the connected components of those links (union-find), so a reworded
  copy and a teaser of the same original end up together even when they share little.
- Pairs are found exhaustively (exact containment of every pair) for up to
  ``ALL_PAIRS_LIMIT`` texts, which takes well under a second; beyond that, each text is
  checked only against the candidates :class:`.index.CopyIndex` gives from LSH.
- Texts too short to judge (under ``MIN_SHINGLES`` shingles) are groups of their own.
- Order is stable: groups appear in the order of their first text, and texts within a group
  in input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

from bot.pipeline.story.copies.decision import copy_containment
from bot.pipeline.story.copies.fingerprint import Fingerprint, fingerprint
from bot.pipeline.story.copies.index import CopyIndex

ALL_PAIRS_LIMIT = 400


class DisjointSets:
    """Union-find over the integers ``0..size-1``, with path halving."""

    def __init__(self, size: int) -> None:
        """Start with every element in a set of its own."""
        self._parent = list(range(size))

    def find(self, element: int) -> int:
        """Return the representative of the set holding ``element``."""
        parent = self._parent
        while parent[element] != element:
            parent[element] = parent[parent[element]]
            element = parent[element]
        return element

    def union(self, a: int, b: int) -> None:
        """Merge the sets holding ``a`` and ``b`` (the smaller representative wins)."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[max(root_a, root_b)] = min(root_a, root_b)


def copy_pairs(fingerprints: Sequence[Fingerprint], *, use_index: bool | None = None) -> list[
    tuple[int, int]
]:
    """Return the position pairs (i < j) of fingerprints that are copies of each other."""
    if use_index is None:
        use_index = len(fingerprints) > ALL_PAIRS_LIMIT
    if not use_index:
        return [
            (i, j)
            for (i, a), (j, b) in combinations(enumerate(fingerprints), 2)
            if copy_containment(a, b) is not None
        ]
    index = CopyIndex()
    pairs: list[tuple[int, int]] = []
    for j, fp in enumerate(fingerprints):
        pairs.extend(
            (i, j)
            for i in index.candidate_ids(fp)
            if copy_containment(fingerprints[i], fp) is not None
        )
        index.add(j, fp)
    return pairs


def group_fingerprints(
    fingerprints: Sequence[Fingerprint], *, use_index: bool | None = None
) -> list[list[int]]:
    """Return the positions of ``fingerprints`` grouped into copies, every one exactly once."""
    sets = DisjointSets(len(fingerprints))
    for i, j in copy_pairs(fingerprints, use_index=use_index):
        sets.union(i, j)
    groups: dict[int, list[int]] = {}
    for position in range(len(fingerprints)):
        groups.setdefault(sets.find(position), []).append(position)
    return list(groups.values())


def group_copies(texts: Mapping[str, str], *, use_index: bool | None = None) -> list[list[str]]:
    """Return the keys of ``texts`` grouped into copies of one article, every key exactly once."""
    keys = list(texts)
    fingerprints = [fingerprint(texts[key]) for key in keys]
    groups = group_fingerprints(fingerprints, use_index=use_index)
    return [[keys[position] for position in group] for group in groups]
