"""``newsdesk extract`` prints one JSON line per input, in order, with the issue's keys."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.pipeline.read.extraction import run_extract_command
from tests.fixtures import FIXTURES

PAGES = FIXTURES / "pages"
KEYS = [
    "source", "title", "author", "published", "canonical_url", "original_url",
    "original_publisher", "language", "image", "text", "summary", "people", "organizations",
    "places", "quotes",
]  # fmt: skip


def test_two_files_give_two_lines_in_order(tmp_path: Path) -> None:
    second = tmp_path / "short.html"
    second.write_text(
        "<html lang='de'><head><title>Kurz</title></head><body><article>"
        + "<p>Der Ausschuss hat am Montag einen neuen Haushalt beschlossen, sagte sie.</p>" * 5
        + "</article></body></html>",
        encoding="utf-8",
    )
    seed = str(PAGES / "seed_republished.html")
    out = io.StringIO()
    assert run_extract_command([seed, str(second)], out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, other = (json.loads(line) for line in lines)
    assert list(first) == KEYS and list(other) == KEYS
    assert first["source"] == seed and other["source"] == str(second)
    assert first["published"] == "2022-01-19T21:00:12+00:00"
    assert first["original_publisher"] == "Financial Times"
    assert {"name": "Shanghai Cooperation Organization", "aliases": ["SCO"]} in first[
        "organizations"
    ]
    assert {q["speaker"] for q in first["quotes"]} == {
        "Zhang Xin", "Shen Yi", "Courtney Fung", "Yang Shu"
    }  # fmt: skip
    assert other["language"] == "de"


def test_url_flag_and_missing_files(tmp_path: Path) -> None:
    out = io.StringIO()
    seed = str(PAGES / "seed_republished.html")
    status = run_extract_command([seed, "--url", "https://blog.example/p"], out=out)
    assert status == 0
    assert json.loads(out.getvalue())["source"] == seed
    out = io.StringIO()
    assert run_extract_command([str(tmp_path / "missing.html")], out=out) == 1
    assert json.loads(out.getvalue())["source"].endswith("missing.html")
    assert run_extract_command([seed, seed, "--url", "https://x.example/"], out=out) == 2
