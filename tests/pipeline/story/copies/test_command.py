"""``newsdesk copies FILE...``: JSON groups on stdout, errors on stderr with status 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.pipeline.story.copies import run_copies_command

STORY = " ".join(f"storyword{number % 97} filler{number}" for number in range(200))
OTHER = " ".join(f"otherword{number % 89} thing{number}" for number in range(200))


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_copies_command(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def html_page(body: str) -> str:
    paragraphs = "".join(f"<p>{body[i : i + 400]}</p>" for i in range(0, len(body), 400))
    return (
        "<!DOCTYPE html><html><head><title>Story</title></head><body>"
        f"<article><h1>Story</h1>{paragraphs}</article></body></html>"
    )


def test_groups_plain_text_files(tmp_path: Path) -> None:
    files = [
        write(tmp_path, "original.txt", STORY),
        write(tmp_path, "other.txt", OTHER),
        write(tmp_path, "teaser.txt", " ".join(STORY.split()[:40])),
        write(tmp_path, "tiny.txt", "Read more"),
    ]
    status, out, err = run([*files, files[0]])
    assert (status, err) == (0, "")
    groups = json.loads(out)["groups"]
    assert sorted(f for g in groups for f in g) == sorted(files)
    assert [files[0], files[2]] in groups
    assert [files[1]] in groups and [files[3]] in groups


def test_reads_html_pages_and_text_alike(tmp_path: Path) -> None:
    files = [
        write(tmp_path, "page.html", html_page(STORY)),
        write(tmp_path, "copy.txt", STORY),
        write(tmp_path, "other.html", html_page(OTHER)),
    ]
    status, out, _ = run(files)
    assert status == 0
    assert json.loads(out) == {"groups": [[files[0], files[1]], [files[2]]]}


def test_unreadable_file_is_one_sentence_and_status_2(tmp_path: Path) -> None:
    good = write(tmp_path, "good.txt", STORY)
    missing = str(tmp_path / "missing.html")
    status, out, err = run([good, missing])
    assert status == 2
    assert out == ""
    assert err.startswith(f"newsdesk copies: cannot read {missing}:")
    assert err.count("\n") == 1


def test_no_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_copies_command([]) == 2
    assert "FILE" in capsys.readouterr().err
