"""The copy decision: when is one article a copy of another.

Dedupe tiers, in the order the story pipeline applies them:

1. **Same URL**: :func:`bot.core.urls.normalise_url` of both links are equal.
2. **Same text** (republished, reworded, excerpt, teaser): the containment
   ``|A ∩ B| / min(|A|, |B|)`` of the two word 3-shingle sets is at least
   ``COPY_THRESHOLD``. Using the smaller set as the denominator makes an excerpt or a teaser
   a copy of the article it was cut from.

Thresholds, calibrated on ``copies-dev`` (141 pages, 60 articles; text from trafilatura,
and unchanged with ``bot.pipeline.read.extraction``, whose worst different pair is 0.074;
``bench/copies_quality.py --calibrate`` prints the figures):

- Containment over the 130 same-article pairs: minimum 0.554 (a heavily reworded
  copy); over the 9,740 different-article pairs: maximum 0.120, 99.9th
  percentile 0.018. ``COPY_THRESHOLD = 0.30`` sits in that gap, 0.18 above the worst
  different pair and 0.25 below the worst copy, a little under the gap's middle (0.34)
  because spinning harder than the set's 50 % lowers copies while nothing raises strangers.
- ``MIN_SHINGLES = 15`` (about 17 words). Teasers cut from the top of each article and
  compared with every other article: with 18 shingles the best chance containment is 0.118,
  with 13 it is 0.167, but with 8 it is 0.25, with 6 it is 0.33 and with 3 it is 0.67. Below
  15 shingles a text cannot be told from chance, so it is **never** judged a copy nor an
  original: it stands alone.
"""

from __future__ import annotations

from bot.pipeline.story.copies.fingerprint import Fingerprint, containment

COPY_THRESHOLD = 0.30
"""Least containment of the shorter text's shingles in the other for the two to be copies."""

MIN_SHINGLES = 15
"""Fewest distinct shingles a text needs to take part in copy detection."""


def comparable(fp: Fingerprint) -> bool:
    """Return whether the text is long enough to be judged a copy or an original."""
    return len(fp) >= MIN_SHINGLES


def copy_containment(a: Fingerprint, b: Fingerprint) -> float | None:
    """Return the containment of ``a`` and ``b`` if they are copies of each other, else None."""
    if not (comparable(a) and comparable(b)):
        return None
    score = containment(a, b)
    return score if score >= COPY_THRESHOLD else None
