"""The copy index: MinHash-LSH for candidates, exact shingle containment for the decision.

Rules:

- **Candidates** come from banded LSH over both MinHash signatures of a fingerprint (see
  :mod:`.fingerprint`): each signature of ``NUM_PERM`` values is cut into
  ``BANDS_PER_SIGNATURE`` bands of ``ROWS_PER_BAND`` values, and two articles are candidates
  when any band of either signature is equal. With 48 bands of 2 rows the chance that a pair
  of Jaccard similarity ``s`` becomes a candidate is ``1 - (1 - s**2)**48``: 0.50 at 0.12
  (the S-curve's threshold, (1/48)**(1/2) = 0.144, inside the 0.10-0.15 that heavy rewrites
  need), 0.99 at 0.31, 0.9998 at 0.4, and 0.0006 at 0.0035 (the 99th percentile of unrelated
  copies-dev pairs). On copies-dev every copy pair has a whole-text or lead Jaccard of at
  least 0.339 (``bench/README.md``).
- **Decision**: a candidate is a copy when
  :func:`bot.pipeline.story.copies.decision.copy_containment`
  says so, computed exactly on the stored shingle sets. LSH never decides.
- **Best match**: the stored article of highest containment; ties go to the smallest id (the
  earliest article, as ids grow with time). At most ``MAX_CANDIDATES`` candidates are checked,
  those sharing the most bands first, so that boilerplate can never make a check slow.
- Texts below ``MIN_SHINGLES`` are neither stored nor matched.
- **Boilerplate** (:mod:`.boilerplate`): each stored article may carry its site; a candidate
  of the query's own site must reach ``SAME_SITE_THRESHOLD``, and a candidate whose plain
  containment reaches its threshold is judged again without the shingles either site
  repeats across its other stored articles.

Layout, for a million articles in a few GB: each stored article keeps its sorted shingle
hashes as one ``bytes`` (8 bytes a shingle). Band keys (64 bits: the band's two values and
its number, mixed) live in one sorted numpy array with the article ids beside it, searched
with one ``searchsorted`` per check; articles added since the last merge sit in a dict, and
are merged into the arrays when they reach ``1/64`` of the stored articles (or
``merge_every``). A merge sorts only the new keys and inserts them in one linear pass, so
adding stays cheap on average; merging often matters because the dict costs about 18 KB an
article (a Python int and list per band key) against 1.5 KB once merged. A removed article
is dropped from the shingle store at once and its band keys when removed articles reach a
quarter of the merged ones (until then they only yield a candidate that is skipped).
:meth:`CopyIndex.from_records` rebuilds the whole index from stored
:meth:`Fingerprint.to_bytes` records in one vectorised pass, without any text.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from itertools import islice

import numpy as np
import numpy.typing as npt

from bot.pipeline.story.copies.boilerplate import (
    SITE_SAMPLE,
    containment_without,
    pair_threshold,
    site_boilerplate,
)
from bot.pipeline.story.copies.decision import COPY_THRESHOLD, MIN_SHINGLES, comparable
from bot.pipeline.story.copies.fingerprint import (
    NUM_PERM,
    Fingerprint,
    SignatureArray,
    parse_record,
    record_signatures,
)
from bot.pipeline.story.copies.shingles import ShingleArray

ROWS_PER_BAND = 2
BANDS_PER_SIGNATURE = NUM_PERM // ROWS_PER_BAND
BANDS = 2 * BANDS_PER_SIGNATURE
MAX_CANDIDATES = 500

KeyArray = npt.NDArray[np.uint64]
IdArray = npt.NDArray[np.int64]

_BAND_SALT = np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def band_keys(signatures: SignatureArray) -> KeyArray:
    """Return the LSH band keys of one or many joined (whole-set, lead) signature rows."""
    rows = np.atleast_2d(signatures).astype(np.uint64)
    pairs = rows.reshape(rows.shape[0], BANDS, ROWS_PER_BAND)
    with np.errstate(over="ignore"):
        keys = ((pairs[:, :, 0] << np.uint64(32)) | pairs[:, :, 1]) ^ _BAND_SALT
        keys ^= keys >> np.uint64(30)
        keys *= _MIX_1
        keys ^= keys >> np.uint64(27)
        keys *= _MIX_2
        keys ^= keys >> np.uint64(31)
    result: KeyArray = keys.reshape(-1) if signatures.ndim == 1 else keys
    return result


def fingerprint_signatures(fp: Fingerprint) -> SignatureArray:
    """Return the whole-set and lead signatures of ``fp`` joined in one array."""
    return np.asarray(fp.minhash + fp.lead_minhash, dtype=np.uint32)


def shared_count(query: ShingleArray, stored: ShingleArray) -> int:
    """Return how many values of sorted ``query`` are in sorted ``stored``."""
    if stored.size == 0 or query.size == 0:
        return 0
    positions = np.searchsorted(stored, query)
    positions[positions == stored.size] = 0
    return int(np.count_nonzero(stored[positions] == query))


class CopyIndex:
    """An in-memory MinHash-LSH index of article fingerprints, keyed by article id."""

    def __init__(self, threshold: float = COPY_THRESHOLD, *, merge_every: int = 256) -> None:
        """Create an empty index deciding copies at ``threshold`` containment."""
        self.threshold = threshold
        self.merge_every = merge_every
        self._shingles: dict[int, bytes] = {}
        self._sorted_keys: KeyArray = np.empty(0, dtype=np.uint64)
        self._sorted_ids: IdArray = np.empty(0, dtype=np.int64)
        self._merged_articles = 0
        self._fresh: dict[int, list[int]] = {}
        self._fresh_articles = 0
        self._removed_since_clean = 0
        self._site_of: dict[int, str] = {}
        self._site_articles: dict[str, list[int]] = {}

    def __len__(self) -> int:
        """Return the number of stored articles."""
        return len(self._shingles)

    def __contains__(self, article_id: object) -> bool:
        """Return whether an article is stored."""
        return article_id in self._shingles

    def held_bytes(self) -> int:
        """Return about how many bytes the index holds: its shingle store and its merged band
        arrays (articles not merged yet are left out; ``bench.copies_scale`` reports it)."""
        store = sys.getsizeof(self._shingles) + sum(
            sys.getsizeof(value) for value in self._shingles.values()
        )
        return store + self._sorted_keys.nbytes + self._sorted_ids.nbytes

    @classmethod
    def from_fingerprints(
        cls, pairs: Iterable[tuple[int, Fingerprint]], threshold: float = COPY_THRESHOLD,
        sites: Mapping[int, str | None] | None = None,
    ) -> CopyIndex:
        """Return an index holding every (article id, fingerprint) pair."""
        return cls.from_records(((i, fp.to_bytes()) for i, fp in pairs), threshold, sites)

    @classmethod
    def from_records(
        cls, records: Iterable[tuple[int, bytes]], threshold: float = COPY_THRESHOLD,
        sites: Mapping[int, str | None] | None = None,
    ) -> CopyIndex:
        """Return an index rebuilt from stored ``Fingerprint.to_bytes`` records, text unread
        (``sites``: the site of each article that has one, oldest first)."""
        index = cls(threshold)
        for article_id, site in (sites or {}).items():
            index._remember_site(article_id, site)
        ids: list[int] = []
        signatures: list[SignatureArray] = []
        for article_id, data in records:
            num_perm, shingles = parse_record(data)
            if num_perm != NUM_PERM:
                raise ValueError(f"fingerprint of article {article_id} has {num_perm} values")
            index._shingles.pop(article_id, None)
            if shingles.size < MIN_SHINGLES:
                index._forget_site(article_id)
                continue
            index._shingles[article_id] = shingles.tobytes()
            ids.append(article_id)
            signatures.append(record_signatures(data, num_perm))
        if ids:
            keys = band_keys(np.stack(signatures)).reshape(-1)
            ids_by_key = np.repeat(np.asarray(ids, dtype=np.int64), BANDS)
            index._install(keys, ids_by_key, drop_removed=False)
        return index

    def _install(self, keys: KeyArray, ids: IdArray, *, drop_removed: bool = True) -> None:
        """Replace the sorted band arrays with ``keys``/``ids``, dropping removed articles."""
        if drop_removed:
            alive = np.fromiter(self._shingles, dtype=np.int64, count=len(self._shingles))
            keep = np.isin(ids, alive)
            keys, ids = keys[keep], ids[keep]
        order = np.argsort(keys)
        self._sorted_keys, self._sorted_ids = keys[order], ids[order]
        self._merged_articles = len(self._shingles)
        self._removed_since_clean = 0

    def _merge_fresh(self) -> None:
        """Move the articles added since the last merge into the sorted arrays."""
        fresh_keys = np.fromiter(
            (key for key, ids in self._fresh.items() for _ in ids), dtype=np.uint64
        )
        fresh_ids = np.fromiter(
            (i for ids in self._fresh.values() for i in ids), dtype=np.int64
        )
        self._fresh.clear()
        self._fresh_articles = 0
        if self._removed_since_clean * 4 > self._merged_articles:
            self._install(
                np.concatenate((self._sorted_keys, fresh_keys)),
                np.concatenate((self._sorted_ids, fresh_ids)),
            )
            return
        order = np.argsort(fresh_keys)
        fresh_keys, fresh_ids = fresh_keys[order], fresh_ids[order]
        at = np.searchsorted(self._sorted_keys, fresh_keys)
        self._sorted_keys = np.insert(self._sorted_keys, at, fresh_keys)
        self._sorted_ids = np.insert(self._sorted_ids, at, fresh_ids)
        self._merged_articles = len(self._shingles)

    def _remember_site(self, article_id: int, site: str | None) -> None:
        if site is not None:
            self._site_of[article_id] = site
            self._site_articles.setdefault(site, []).append(article_id)

    def _forget_site(self, article_id: int) -> None:
        site = self._site_of.pop(article_id, None)
        if site is not None:
            articles = self._site_articles[site]
            articles.remove(article_id)
            if not articles:
                del self._site_articles[site]

    def site_of(self, article_id: int) -> str | None:
        """Return the site a stored article came from, if known."""
        return self._site_of.get(article_id)

    def add(self, article_id: int, fp: Fingerprint, site: str | None = None) -> None:
        """Store an article's fingerprint and site (texts too short to judge are not
        stored)."""
        self.remove(article_id)
        if not comparable(fp):
            return
        self._remember_site(article_id, site)
        self._shingles[article_id] = fp.shingle_array().tobytes()
        for key in band_keys(fingerprint_signatures(fp)).tolist():
            self._fresh.setdefault(key, []).append(article_id)
        self._fresh_articles += 1
        if self._fresh_articles >= max(self.merge_every, self._merged_articles // 64):
            self._merge_fresh()

    def remove(self, article_id: int) -> None:
        """Forget an article (no error if it is not stored)."""
        self._forget_site(article_id)
        if self._shingles.pop(article_id, None) is not None:
            self._removed_since_clean += 1

    def candidate_ids(self, fp: Fingerprint) -> list[int]:
        """Return stored articles sharing an LSH band with ``fp``, most shared bands first."""
        keys = band_keys(fingerprint_signatures(fp))
        found: list[IdArray] = []
        if self._sorted_keys.size:
            starts = np.searchsorted(self._sorted_keys, keys, side="left")
            ends = np.searchsorted(self._sorted_keys, keys, side="right")
            found.extend(
                self._sorted_ids[start:end]
                for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
                if end > start
            )
        for key in keys.tolist():
            fresh = self._fresh.get(key)
            if fresh:
                found.append(np.asarray(fresh, dtype=np.int64))
        if not found:
            return []
        ids, hits = np.unique(np.concatenate(found), return_counts=True)
        order = np.lexsort((ids, -hits))
        return [i for i in ids[order].tolist() if i in self._shingles]

    def boilerplate_of(
        self, shingles: ShingleArray, site: str | None, *, besides: int | None = None
    ) -> ShingleArray:
        """Return the shingles of an article of ``site`` that the site repeats across its
        other stored articles (``besides``: the article itself, when stored)."""
        recent = (
            other
            for other in reversed(self._site_articles.get(site, []) if site else [])
            if other != besides and other in self._shingles
        )
        others = [
            np.frombuffer(self._shingles[other], dtype=np.uint64)
            for other in islice(recent, SITE_SAMPLE)
        ]
        return site_boilerplate(shingles, others)

    def find_copy_of(
        self, fp: Fingerprint, site: str | None = None
    ) -> tuple[int, float] | None:
        """Return the stored article ``fp`` (an article of ``site``) is a copy of, with the
        containment, or None."""
        if not comparable(fp):
            return None
        query = fp.shingle_array()
        query_boilerplate: ShingleArray | None = None
        best: tuple[int, float] | None = None
        for article_id in self.candidate_ids(fp)[:MAX_CANDIDATES]:
            stored_site = self._site_of.get(article_id)
            threshold = max(self.threshold, pair_threshold(site, stored_site))
            stored = np.frombuffer(self._shingles[article_id], dtype=np.uint64)
            score = shared_count(query, stored) / min(query.size, stored.size)
            if score < threshold:
                continue
            if query_boilerplate is None:
                query_boilerplate = self.boilerplate_of(query, site)
            boilerplate = np.union1d(
                query_boilerplate, self.boilerplate_of(stored, stored_site, besides=article_id)
            )
            if boilerplate.size:
                without = containment_without(query, stored, boilerplate, threshold)
                if without is None:
                    continue
                score = without
            if best is None or score > best[1] or (score == best[1] and article_id < best[0]):
                best = (article_id, score)
        return best
