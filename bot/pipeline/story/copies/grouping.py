"""Grouping texts into copies: every text in exactly one group.

Rules:

- Two texts are linked when :func:`.decision.copy_containment` says they are
  copies; groups are the connected components of those links (union-find), so a reworded
  copy and a teaser of the same original end up together even when they share little.
- Pairs are found exhaustively (exact containment of every pair) for up to
  ``ALL_PAIRS_LIMIT`` texts, which takes well under a second; beyond that, each text is
  checked only against the candidates :class:`.index.CopyIndex` gives from LSH.
- Texts too short to judge (under ``MIN_SHINGLES`` shingles) are groups of their own.
- Texts may come with their site (:mod:`.boilerplate`): two texts of one site are linked
  only when nearly identical, and a linked pair is judged again without the shingles
  either site repeats across at least two of its other texts.
- Order is stable: groups appear in the order of their first text, and texts within a group
  in input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np

from bot.pipeline.story.copies.boilerplate import (
    SITE_SAMPLE,
    containment_without,
    pair_threshold,
    site_boilerplate,
)
from bot.pipeline.story.copies.decision import copy_containment
from bot.pipeline.story.copies.fingerprint import Fingerprint, fingerprint
from bot.pipeline.story.copies.index import CopyIndex
from bot.pipeline.story.copies.shingles import ShingleArray

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


class SiteBoilerplate:
    """The boilerplate of each text among a set of texts with their sites, found once."""

    def __init__(self, arrays: Sequence[ShingleArray], sites: Sequence[str | None]) -> None:
        """Index ``arrays`` (sorted shingles of each text) by their ``sites``."""
        self._arrays = arrays
        self._sites = sites
        self._by_site: dict[str, list[int]] = {}
        for position, site in enumerate(sites):
            if site is not None:
                self._by_site.setdefault(site, []).append(position)
        self._found: dict[int, ShingleArray] = {}

    def of(self, position: int) -> ShingleArray:
        """Return the shingles of one text that its site repeats in its other texts."""
        if position not in self._found:
            site = self._sites[position]
            others = [
                self._arrays[other]
                for other in (self._by_site.get(site, []) if site is not None else [])
                if other != position
            ][-SITE_SAMPLE:]
            self._found[position] = site_boilerplate(self._arrays[position], others)
        return self._found[position]

    def copies(self, i: int, j: int) -> bool:
        """Return whether texts ``i`` and ``j`` (plainly copies) still are at their sites'
        threshold without their sites' boilerplate."""
        threshold = pair_threshold(self._sites[i], self._sites[j])
        boilerplate = np.union1d(self.of(i), self.of(j))
        a, b = self._arrays[i], self._arrays[j]
        return containment_without(a, b, boilerplate, threshold) is not None


def copy_pairs(
    fingerprints: Sequence[Fingerprint],
    *,
    use_index: bool | None = None,
    sites: Sequence[str | None] | None = None,
) -> list[tuple[int, int]]:
    """Return the position pairs (i < j) of fingerprints that are copies of each other
    (``sites``: the site of each text, when known)."""
    if use_index is None:
        use_index = len(fingerprints) > ALL_PAIRS_LIMIT
    known_sites = list(sites) if sites is not None else [None] * len(fingerprints)
    boilerplate = SiteBoilerplate([fp.shingle_array() for fp in fingerprints], known_sites)
    if not use_index:
        return [
            (i, j)
            for (i, a), (j, b) in combinations(enumerate(fingerprints), 2)
            if copy_containment(a, b) is not None and boilerplate.copies(i, j)
        ]
    index = CopyIndex()
    pairs: list[tuple[int, int]] = []
    for j, fp in enumerate(fingerprints):
        pairs.extend(
            (i, j)
            for i in index.candidate_ids(fp)
            if copy_containment(fingerprints[i], fp) is not None and boilerplate.copies(i, j)
        )
        index.add(j, fp)
    return pairs


def group_fingerprints(
    fingerprints: Sequence[Fingerprint],
    *,
    use_index: bool | None = None,
    sites: Sequence[str | None] | None = None,
) -> list[list[int]]:
    """Return the positions of ``fingerprints`` grouped into copies, every one exactly once."""
    sets = DisjointSets(len(fingerprints))
    for i, j in copy_pairs(fingerprints, use_index=use_index, sites=sites):
        sets.union(i, j)
    groups: dict[int, list[int]] = {}
    for position in range(len(fingerprints)):
        groups.setdefault(sets.find(position), []).append(position)
    return list(groups.values())


def group_copies(
    texts: Mapping[str, str],
    *,
    use_index: bool | None = None,
    sites: Mapping[str, str | None] | None = None,
) -> list[list[str]]:
    """Return the keys of ``texts`` grouped into copies of one article, every key exactly
    once (``sites``: the site of each key that has one)."""
    keys = list(texts)
    fingerprints = [fingerprint(texts[key]) for key in keys]
    known = [(sites or {}).get(key) for key in keys]
    groups = group_fingerprints(fingerprints, use_index=use_index, sites=known)
    return [[keys[position] for position in group] for group in groups]
