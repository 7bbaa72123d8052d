"""A 40-page slice of the quality bench: the pipeline keeps bare trafilatura's recall."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "trafilatura-eval"


@pytest.mark.skipif(not (DATA / "evaldata.json").exists(), reason="evaluation data not present")
def test_pipeline_is_not_worse_than_bare_trafilatura_on_40_pages() -> None:
    spec = importlib.util.spec_from_file_location("extraction_quality", ROOT / "bench" /
                                                  "extraction_quality.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up
    spec.loader.exec_module(bench)
    bare, ours = bench.compare(DATA, limit=40, every=25)
    assert ours.true_positives >= bare.true_positives
    assert ours.leaks <= bare.leaks
