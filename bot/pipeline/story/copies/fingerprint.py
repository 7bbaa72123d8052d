"""The fingerprint of an article's text: its shingle set and two MinHash signatures.

Rules:

- A :class:`Fingerprint` holds the **whole** set of 64-bit word 3-shingle hashes of the text
  (see :mod:`bot.pipeline.story.copies.shingles`): the copy decision is the exact containment
  ``|A ∩ B| / min(|A|, |B|)`` of two such sets, never an estimate. A news article of 1,000
  words costs 8 KB; no sample is taken, because a bounded sample of a long article keeps
  too few of the shingles a short teaser of it has, and 1M full fingerprints fit in about
  4.5 GiB of index (``bench/README.md``).
- It also holds two MinHash signatures of ``NUM_PERM`` 32-bit values each, used only to find
  candidates (:mod:`.index`): ``minhash`` over the whole set, and ``lead_minhash`` over the
  set of the first ``LEAD_SHINGLES`` shingles of the text. The whole-set signature
  finds republished and reworded copies of similar length; the lead signature finds excerpts
  and teasers, which are cut from the top of an article and whose Jaccard similarity with
  the whole article is small (about |teaser| / |article|) although their containment is 1.
- MinHash permutation ``i`` is the multiply-shift hash ``((a_i·x + b_i) mod 2**64) >> 32``
  with ``a_i`` odd; ``a_i`` and ``b_i`` come from BLAKE2b of a fixed label, so signatures
  are the same in every process and every version, and stored fingerprints stay valid.
- ``to_bytes`` is a versioned little-endian record (magic ``NDF1``); ``from_bytes`` refuses
  anything else with ``ValueError``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from hashlib import blake2b

import numpy as np
import numpy.typing as npt

from bot.pipeline.story.copies.shingles import ShingleArray, text_shingles

NUM_PERM = 96
"""MinHash values per signature: 48 LSH bands of 2 rows (see :mod:`.index`)."""

LEAD_SHINGLES = 64
"""How many leading shingles the lead signature covers (about the first 66 words)."""

SignatureArray = npt.NDArray[np.uint32]

_MAGIC = b"NDF1"
_HEADER = struct.Struct("<4sHI")  # magic, num_perm, shingle count


@cache
def _permutations(num_perm: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Return the fixed multipliers (odd) and offsets of the MinHash permutations."""
    multipliers = np.empty(num_perm, dtype=np.uint64)
    offsets = np.empty(num_perm, dtype=np.uint64)
    for i in range(num_perm):
        digest = blake2b(f"newsdesk copies minhash {i}".encode(), digest_size=16).digest()
        multipliers[i] = int.from_bytes(digest[:8], "little") | 1
        offsets[i] = int.from_bytes(digest[8:], "little")
    return multipliers, offsets


def minhash_signature(shingles: ShingleArray, num_perm: int = NUM_PERM) -> SignatureArray:
    """Return the MinHash signature (``num_perm`` 32-bit values) of a set of shingle hashes."""
    if shingles.size == 0:
        return np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    multipliers, offsets = _permutations(num_perm)
    with np.errstate(over="ignore"):
        permuted = shingles[None, :] * multipliers[:, None] + offsets[:, None]
    signature: SignatureArray = (permuted.min(axis=1) >> np.uint64(32)).astype(np.uint32)
    return signature


def minhash_rows(rows: ShingleArray, num_perm: int = NUM_PERM) -> SignatureArray:
    """Return the MinHash signature of every row of a 2-D shingle array (a batch of texts)."""
    multipliers, offsets = _permutations(num_perm)
    signatures = np.empty((rows.shape[0], num_perm), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for i in range(num_perm):
            lowest = (rows * multipliers[i] + offsets[i]).min(axis=1)
            signatures[:, i] = lowest >> np.uint64(32)
    return signatures


@dataclass(frozen=True)
class Fingerprint:
    """What is stored per article so that copies are found without re-reading its text."""

    shingles: frozenset[int]
    minhash: tuple[int, ...]
    lead_minhash: tuple[int, ...]

    def __len__(self) -> int:
        """Return the number of distinct shingles."""
        return len(self.shingles)

    def shingle_array(self) -> ShingleArray:
        """Return the shingle hashes as a sorted numpy array."""
        return np.sort(np.fromiter(self.shingles, dtype=np.uint64, count=len(self.shingles)))

    def to_bytes(self) -> bytes:
        """Return the versioned binary record of this fingerprint."""
        return encode_record(
            np.asarray(self.minhash, dtype=np.uint32),
            np.asarray(self.lead_minhash, dtype=np.uint32),
            self.shingle_array(),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Return the fingerprint stored by :meth:`to_bytes`; raise ``ValueError`` if invalid."""
        num_perm, shingles = parse_record(data)
        signatures = np.frombuffer(data, dtype="<u4", count=2 * num_perm, offset=_HEADER.size)
        return cls(
            shingles=frozenset(shingles.tolist()),
            minhash=tuple(signatures[:num_perm].tolist()),
            lead_minhash=tuple(signatures[num_perm:].tolist()),
        )


def encode_record(minhash: SignatureArray, lead: SignatureArray, shingles: ShingleArray) -> bytes:
    """Return the stored record of two signatures and a sorted array of distinct shingles."""
    return b"".join(
        (
            _HEADER.pack(_MAGIC, minhash.size, shingles.size),
            minhash.astype("<u4").tobytes(),
            lead.astype("<u4").tobytes(),
            shingles.astype("<u8").tobytes(),
        )
    )


def parse_record(data: bytes) -> tuple[int, ShingleArray]:
    """Check a stored record; return its ``num_perm`` and its sorted shingle array (a view)."""
    if len(data) < _HEADER.size:
        raise ValueError("fingerprint record is shorter than its header")
    magic, num_perm, count = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        raise ValueError(f"fingerprint record has magic {magic!r}, expected {_MAGIC!r}")
    expected = _HEADER.size + 8 * num_perm + 8 * count
    if len(data) != expected:
        raise ValueError(f"fingerprint record is {len(data)} bytes, expected {expected}")
    offset = _HEADER.size + 8 * num_perm
    return num_perm, np.frombuffer(data, dtype="<u8", count=count, offset=offset)


def record_signatures(data: bytes, num_perm: int) -> SignatureArray:
    """Return a copy of both signatures of a checked record, whole-set then lead."""
    view = np.frombuffer(data, dtype="<u4", count=2 * num_perm, offset=_HEADER.size)
    return view.astype(np.uint32)


def fingerprint_shingles(ordered: ShingleArray) -> Fingerprint:
    """Return the fingerprint of a text given its shingle hashes in text order."""
    distinct = np.unique(ordered)
    lead = np.unique(ordered[:LEAD_SHINGLES])
    return Fingerprint(
        shingles=frozenset(distinct.tolist()),
        minhash=tuple(minhash_signature(distinct).tolist()),
        lead_minhash=tuple(minhash_signature(lead).tolist()),
    )


def fingerprint(text: str) -> Fingerprint:
    """Return the fingerprint of an article's clean text."""
    return fingerprint_shingles(text_shingles(text))


def containment(a: Fingerprint, b: Fingerprint) -> float:
    """Return |A ∩ B| / min(|A|, |B|) of the two shingle sets (0.0 if either is empty)."""
    smaller, larger = (a.shingles, b.shingles) if len(a) <= len(b) else (b.shingles, a.shingles)
    if not smaller:
        return 0.0
    return len(smaller & larger) / len(smaller)
