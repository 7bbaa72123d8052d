"""Copy detection: is this article a republished, reworded, excerpted or teased copy?

Dedupe tiers (rules and calibration in each module's docstring):

1. :func:`normalise_url` — two links that normalise alike are the same article.
2. :func:`containment` of word 3-shingle sets (:func:`fingerprint`) at least
   ``COPY_THRESHOLD`` (0.30, calibrated on copies-dev) — the same text, whatever the
   rewording, excerpting or teasing; texts under ``MIN_SHINGLES`` (15) stand alone.
3. Boilerplate (:mod:`.boilerplate`): two articles of one site must be nearly identical
   (0.9), and text a site repeats across its articles does not count.

:class:`CopyIndex` finds the earlier article a new one copies among many (MinHash-LSH for
candidates, exact containment to decide), :func:`group_copies` groups a set of texts, and
:func:`run_copies_command` is ``newsdesk copies FILE...``. Everything here is synchronous
and CPU-bound: call it from async code through ``asyncio.to_thread``.
"""

from __future__ import annotations

from bot.core.urls import normalise_url
from bot.pipeline.story.copies.command import run_copies_command
from bot.pipeline.story.copies.decision import (
    COPY_THRESHOLD,
    MIN_SHINGLES,
    comparable,
    copy_containment,
)
from bot.pipeline.story.copies.fingerprint import Fingerprint, containment, fingerprint
from bot.pipeline.story.copies.grouping import group_copies
from bot.pipeline.story.copies.index import CopyIndex
from bot.pipeline.story.copies.page_text import page_text

__all__ = [
    "COPY_THRESHOLD",
    "MIN_SHINGLES",
    "CopyIndex",
    "Fingerprint",
    "comparable",
    "containment",
    "copy_containment",
    "fingerprint",
    "group_copies",
    "normalise_url",
    "page_text",
    "run_copies_command",
]
