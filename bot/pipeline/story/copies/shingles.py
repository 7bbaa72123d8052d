"""Text normalisation and word 3-shingles hashed to stable 64-bit integers.

Rules:

- **Normalisation** (so that typography never hides a copy): Unicode NFKC and case-folding;
  apostrophes of every kind deleted (``they’ve`` and ``they've`` both give ``theyve``; an
  apostrophe that is not inside a word was a break anyway); a word is a run of letters and
  digits, and every other character (quotes, dashes, punctuation, any whitespace) is a word
  break and vanishes.
- **Every token is kept**, short function words included. Copies are disguised by swapping
  *content* words for synonyms; shingles made of function words and the untouched content
  words around them are what survive such spinning, so dropping short tokens would lower
  the containment of reworded copies (measured on copies-dev: see ``bench/README.md``).
- **Shingles** are the overlapping runs of three consecutive tokens. A text of fewer than
  three tokens has no shingles.
- **Hashing**: each distinct token is hashed once with BLAKE2b (8-byte digest, no key, no
  salt), and the three token hashes of a shingle are combined position-dependently and
  finished with the SplitMix64 mixer, in numpy's wrapping 64-bit arithmetic. The result is
  the same in every process and on every run (unlike Python's salted ``hash``), and costs
  about a third of hashing each shingle's string with BLAKE2b.
"""

from __future__ import annotations

import re
import unicodedata
from hashlib import blake2b

import numpy as np
import numpy.typing as npt

ShingleArray = npt.NDArray[np.uint64]
"""A one-dimensional array of 64-bit shingle hashes."""

SHINGLE_WORDS = 3

_APOSTROPHES = "'’‘ʼ`´"
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")

# Odd 64-bit constants: position weights for the three token hashes and SplitMix64's mixer.
_POSITION_WEIGHTS = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def normalise_text(text: str) -> str:
    """Return ``text`` NFKC-normalised and case-folded, with every apostrophe deleted."""
    return _APOSTROPHE.sub("", unicodedata.normalize("NFKC", text).casefold())


def words(text: str) -> list[str]:
    """Return the normalised word tokens of ``text``, in order."""
    return _WORD.findall(normalise_text(text))


def token_hash(token: str) -> int:
    """Return the stable 64-bit BLAKE2b hash of one token."""
    return int.from_bytes(blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def _splitmix64(values: ShingleArray) -> ShingleArray:
    """Return SplitMix64's finaliser applied to every value (wrapping 64-bit arithmetic)."""
    mixed = values ^ (values >> np.uint64(30))
    mixed = mixed * _MIX_1
    mixed = mixed ^ (mixed >> np.uint64(27))
    mixed = mixed * _MIX_2
    finished: ShingleArray = mixed ^ (mixed >> np.uint64(31))
    return finished


def shingle_hashes(tokens: list[str]) -> ShingleArray:
    """Return the 64-bit hashes of the word 3-shingles of ``tokens``, in text order."""
    if len(tokens) < SHINGLE_WORDS:
        return np.empty(0, dtype=np.uint64)
    cache: dict[str, int] = {}
    hashed = np.fromiter(
        (cache[t] if t in cache else cache.setdefault(t, token_hash(t)) for t in tokens),
        dtype=np.uint64,
        count=len(tokens),
    )
    return combine_token_hashes(hashed)


def combine_token_hashes(hashed: ShingleArray) -> ShingleArray:
    """Return shingle hashes from token hashes in text order (along the last axis)."""
    count = hashed.shape[-1] - SHINGLE_WORDS + 1
    with np.errstate(over="ignore"):
        combined = np.zeros((*hashed.shape[:-1], count), dtype=np.uint64)
        for offset, weight in enumerate(_POSITION_WEIGHTS):
            combined += hashed[..., offset : offset + count] * weight
        return _splitmix64(combined)


def text_shingles(text: str) -> ShingleArray:
    """Return the 64-bit hashes of the word 3-shingles of ``text``, in text order."""
    return shingle_hashes(words(text))
