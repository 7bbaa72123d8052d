"""Boilerplate-proof containment: text a site repeats across its own articles does not count.

A publisher's "About us" paragraph, a company's "About Acme" in every press release, a
disclaimer or a newsletter footer can be long next to a short article: two *different*
articles carrying it reach the copy threshold on it alone. Rules:

- Every article has a **site**: the host of its canonical address when the page gives one,
  else of its own address, lower-cased and without ``www.`` (:func:`site_of`); a text with
  no address (a plain-text file) has none, and nothing below applies to it. In the reader a
  site is narrower, one feed's articles from one host (:func:`feed_site`): a feed is one
  publisher's stream, and the host keeps apart the publishers an aggregator's feed mixes.
- **Two articles of one site are copies only when nearly identical**: containment at least
  ``SAME_SITE_THRESHOLD`` (0.9), not ``COPY_THRESHOLD``. A site re-posting its own article
  (a new address, a new title) repeats its text whole; two *different* articles of a site
  share only the site's own text, which the first two of them cannot yet tell from news.
- A site's **boilerplate**, seen from one of its articles: the shingles of that article
  found in at least ``SITE_BOILERPLATE_MIN`` other articles of the same site, among its
  ``SITE_SAMPLE`` most recent ones (within the story window, in the reader). At least two,
  because one other article sharing a block may be a second copy of the same story (an
  aggregator carrying it twice, as copies-dev has four times); boilerplate recurs.
- The copy decision between articles of two sites is then the same exact containment as
  before (``bot.pipeline.story.copies.decision``) of the two shingle sets **without** the
  boilerplate of either site; a remainder under ``MIN_SHINGLES`` leaves the pair not
  comparable. Boilerplate is looked for only when the plain containment reaches the
  threshold, so it can only turn a copy into a non-copy: every other decision is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import numpy as np

from bot.pipeline.story.copies.decision import COPY_THRESHOLD, MIN_SHINGLES
from bot.pipeline.story.copies.shingles import ShingleArray

SAME_SITE_THRESHOLD = 0.9
"""Least containment for two articles of one site to be copies (a site re-posting itself)."""

SITE_BOILERPLATE_MIN = 2
"""Fewest other articles of a site that must carry a shingle for it to be the site's own."""

SITE_SAMPLE = 64
"""How many of a site's most recent other articles are searched for its boilerplate."""

_EMPTY: ShingleArray = np.empty(0, dtype=np.uint64)


def site_of(*addresses: str | None) -> str | None:
    """Return the site of the first address that has a host (see the module's rules)."""
    for address in addresses:
        if not address:
            continue
        try:
            host = urlsplit(address.strip()).hostname
        except ValueError:
            continue
        if host:
            return host.lower().removeprefix("www.")
    return None


def feed_site(feed_id: int, *addresses: str | None) -> str | None:
    """Return the site of an article a feed carried: the feed and the host of the first
    address that has one (None without a host)."""
    host = site_of(*addresses)
    return None if host is None else f"{host} (feed {feed_id})"


def same_site(a: str | None, b: str | None) -> bool:
    """Return whether two articles are known to come from one site."""
    return a is not None and a == b


def pair_threshold(a: str | None, b: str | None) -> float:
    """Return the least containment for articles of sites ``a`` and ``b`` to be copies."""
    return SAME_SITE_THRESHOLD if same_site(a, b) else COPY_THRESHOLD


def site_boilerplate(shingles: ShingleArray, others: Sequence[ShingleArray]) -> ShingleArray:
    """Return the (sorted) shingles of one article that at least ``SITE_BOILERPLATE_MIN`` of
    ``others`` (other articles of its site, each a sorted shingle array) also carry."""
    if len(others) < SITE_BOILERPLATE_MIN or shingles.size == 0:
        return _EMPTY
    counts = np.zeros(shingles.size, dtype=np.int32)
    for other in others:
        counts += np.isin(shingles, other, assume_unique=True)
    found: ShingleArray = shingles[counts >= SITE_BOILERPLATE_MIN]
    return found


def containment_without(
    a: ShingleArray, b: ShingleArray, boilerplate: ShingleArray, threshold: float = COPY_THRESHOLD
) -> float | None:
    """Return the containment of sorted shingle arrays ``a`` and ``b`` once ``boilerplate`` is
    left out of both, if they are still copies at ``threshold``, else None."""
    if boilerplate.size:
        a = a[~np.isin(a, boilerplate, assume_unique=True)]
        b = b[~np.isin(b, boilerplate, assume_unique=True)]
    if min(a.size, b.size) < MIN_SHINGLES:
        return None
    shared = np.intersect1d(a, b, assume_unique=True).size
    score = shared / min(a.size, b.size)
    return score if score >= threshold else None
