"""The console finishes advertised flows: buttons, menus, files both ways, a second server,
a command's options, and sentences for unknown names; each run through ``--script``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.conftest import rss

DISCOVERY_PAGE = """<!DOCTYPE html><html><head><title>Example News</title>
<link rel="alternate" type="application/rss+xml" title="Example News: top stories"
 href="feed.xml">
<link rel="alternate" type="application/rss+xml" title="Example News: sport" href="sport.xml">
</head><body><p>News.</p></body></html>"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    transcript: list[dict[str, Any]]


def run_script(
    tmp_path: Path, script: str, *, serve: Path | None = None, name: str = "run",
    extra: tuple[str, ...] = (),
) -> Run:
    script_file = tmp_path / f"{name}.txt"
    script_file.write_text(script)
    transcript = tmp_path / f"{name}.jsonl"
    command = [
        sys.executable, "-m", "bot", "sandbox", "--no-demo",
        "--db", str(tmp_path / "sandbox.sqlite3"),
        "--script", str(script_file), "--transcript", str(transcript), *extra,
    ]
    if serve is not None:
        command += ["--serve", str(serve)]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        env={**os.environ, "NEWSDESK_LOG_LEVEL": "INFO"},
    )
    entries = (
        [json.loads(line) for line in transcript.read_text().splitlines()]
        if transcript.exists() else []
    )
    return Run(completed.returncode, completed.stdout, completed.stderr, entries)


def served_site(tmp_path: Path) -> Path:
    served = tmp_path / "served"
    served.mkdir()
    (served / "index.html").write_text(DISCOVERY_PAGE)
    (served / "feed.xml").write_bytes(rss(1, 2))
    (served / "sport.xml").write_bytes(rss(3, 4, title="Example Sport"))
    return served


def replies_to(run: Run, line: str) -> list[dict[str, Any]]:
    return [entry for entry in run.transcript if entry["line"] == line]


def test_menus_buttons_and_files_both_ways(tmp_path: Path) -> None:
    served = served_site(tmp_path)
    script = """\
/feed add url:{serve}/index.html channel:#news
:select "Example News: top stories"
/feed template subscription:1 template:"Fresh: {title}"
:click Save
/feed export
"""
    run = run_script(tmp_path, script, serve=served)
    assert run.returncode == 0, run.stderr

    menu = replies_to(run, "/feed add url:{serve}/index.html channel:#news")
    assert menu and menu[0]["components"][0]["components"][0]["type"] == 3
    chosen = replies_to(run, ':select "Example News: top stories"')
    assert any("Now following **Example News**" in e["content"] for e in chosen), chosen

    saved = replies_to(run, ":click Save")
    assert [e["kind"] for e in saved] == ["edit"]
    assert saved[0]["content"] == "Saved the template of subscription #1."

    export = replies_to(run, "/feed export")
    [attachment] = export[-1]["attachments"]
    assert attachment["filename"] == "newsdesk-feeds.opml"
    path = Path(attachment["path"])
    assert path.parent == tmp_path / "run-files"
    assert "feed.xml" in path.read_text()
    assert f"saved to {path}" in run.stdout


def test_attached_file_goes_to_the_next_commands_file_option(tmp_path: Path) -> None:
    served = served_site(tmp_path)
    script = """\
:attach feeds.opml
/feed import channel:#tech
"""
    run = run_script(tmp_path, script, serve=served, name="first")
    assert run.returncode == 2
    assert "Cannot attach feeds.opml: no such file or directory." in run.stderr

    (tmp_path / "feeds.opml").write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Sport" type="rss" xmlUrl="http://127.0.0.1:9/sport.xml"/>'
        "</body></opml>"
    )
    run = run_script(tmp_path, script + ":attach feeds.opml\n/feed list\n", name="second")
    imported = replies_to(run, "/feed import channel:#tech")
    assert "Imported feeds.opml into #tech: 0 added, 0 skipped, 1 failed." in imported[-1][
        "content"
    ]
    [report] = imported[-1]["attachments"]
    assert "127.0.0.1:9/sport.xml" in Path(report["path"]).read_text()
    assert run.returncode == 2
    assert "/feed list takes no file: :attach is for a command with a file option" in run.stderr


def test_a_second_server_sees_none_of_the_first(tmp_path: Path) -> None:
    served = served_site(tmp_path)
    script = """\
/feed add url:{serve}/feed.xml channel:#news
:guild Second Desk
/feed list
:as member
/feed list
:as admin
:guild Newsdesk Sandbox
/feed list
"""
    run = run_script(tmp_path, script, serve=served)
    assert run.returncode == 0, run.stderr
    lists = [e for e in run.transcript if e["line"] == "/feed list"]
    assert [(e["guild"], "no feeds" in e["content"]) for e in lists] == [
        ("Second Desk", True),
        ("Newsdesk Sandbox", False),
    ]
    assert "admin in #general (Second Desk)> /feed list" in run.stdout
    assert "] #general (Second Desk) Newsdesk · " in run.stdout
    assert "You don't have permission to use /feed here (needs Manage Server)." in run.stdout


def test_help_shows_a_commands_options_with_their_ranges(tmp_path: Path) -> None:
    run = run_script(tmp_path, ":help /feed add\n:help /feed\n:help /nothing\n")
    assert "/feed add — Follow a feed" in run.stdout
    assert "backfill: (whole number, optional, 0–10)" in run.stdout
    assert "url: (text, required" in run.stdout
    assert "/feed export — " in run.stdout
    assert run.returncode == 2
    assert "There is no command /nothing. The commands are: " in run.stderr


def test_unknown_names_are_sentences(tmp_path: Path) -> None:
    for line, sentence in [
        (":channel nowhere", "There is no channel #nowhere in Newsdesk Sandbox: try #general"),
        (":as nobody", "There is no user @nobody in the sandbox: try admin, member, owner."),
        (":delete-role @nobody", "There is no role @nobody in Newsdesk Sandbox: try @admin"),
        (":click Frobnicate", "No message you can see has a button Frobnicate."),
        (":modal x=1", "admin has no form open: a command or a button opens one."),
    ]:
        run = run_script(tmp_path, line + "\n", name="unknown")
        assert run.returncode == 2
        assert sentence in run.stderr, run.stderr
        assert "'no " not in run.stderr  # no Python repr of a KeyError


def test_the_bots_owner_publishes_its_commands(tmp_path: Path) -> None:
    run = run_script(tmp_path, ":as owner\n/sync scope:server\n")
    assert run.returncode == 0, run.stderr
    [reply] = replies_to(run, "/sync scope:server")
    assert reply["content"].startswith("Published ")
    assert reply["content"].endswith(" commands to this server.")
