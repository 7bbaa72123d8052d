"""``newsdesk sandbox --script``: the newcomer's tool, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.conftest import rss

SCRIPT_ADD = """\
# admin follows the served feed, then a member tries the same
:as admin
/feed add url:{serve}/feed.xml channel:#news
:poll
:as member
/feed add url:{serve}/feed.xml channel:#news
"""
SCRIPT_POLL = """\
:poll
"""


def run_sandbox(tmp_path: Path, script: str, serve: Path, name: str) -> list[dict[str, Any]]:
    script_file = tmp_path / f"{name}.txt"
    script_file.write_text(script)
    transcript = tmp_path / f"{name}.jsonl"
    completed = subprocess.run(
        [
            sys.executable, "-m", "bot", "sandbox", "--no-demo",
            "--db", str(tmp_path / "sandbox.sqlite3"), "--serve", str(serve),
            "--script", str(script_file), "--transcript", str(transcript),
        ],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "NEWSDESK_LOG_LEVEL": "INFO"},
    )
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in transcript.read_text().splitlines()]


def test_script_adds_polls_and_posts_only_new_items_once(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "feed.xml").write_bytes(rss(1, 2))

    first = run_sandbox(tmp_path, SCRIPT_ADD, served, "first")
    replies = [entry for entry in first if entry["kind"] != "post"]
    assert [entry["kind"] for entry in first if entry["kind"] == "post"] == []
    assert replies[0]["ephemeral"] is True
    assert "Now following **Example News** in #news" in replies[0]["content"]
    assert replies[0]["line"] == "/feed add url:{serve}/feed.xml channel:#news"
    # The member's attempt is refused by Discord itself: the bot sends nothing for it.
    assert len(replies) == 1

    (served / "feed.xml").write_bytes(rss(1, 2, 3, 4))
    second = run_sandbox(tmp_path, SCRIPT_POLL, served, "second")
    posts = [entry for entry in second if entry["kind"] == "post"]
    assert [post["embeds"][0]["title"] for post in posts] == [
        "Story 3: Mayor & council agree",
        "Story 4: Mayor & council agree",
    ]
    assert [post["embeds"][0]["url"] for post in posts] == [
        "https://news.example/story-3",
        "https://news.example/story-4",
    ]
    assert all(post["channel"] == "#news" and post["line"] == ":poll" for post in posts)
    assert all(post["allowed_mentions"] == {"parse": []} for post in posts)

    third = run_sandbox(tmp_path, SCRIPT_POLL, served, "third")
    assert [entry for entry in third if entry["kind"] == "post"] == []


def test_unknown_directive_fails_the_script(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text(":frobnicate\n")
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--no-demo", "--db",
         str(tmp_path / "db.sqlite3"), "--script", str(script)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 2
    assert "Unknown directive :frobnicate" in completed.stderr


def test_run_without_a_token_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, timeout=60,
        check=False, env=env, cwd=tmp_path,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().startswith("Newsdesk needs a bot token: set DISCORD_TOKEN")


def test_an_unreachable_postgresql_database_is_a_sentence_not_a_traceback(
    tmp_path: Path,
) -> None:
    script = tmp_path / "empty.txt"
    script.write_text(":as admin\n")
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--no-demo", "--script", str(script)],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env={**os.environ, "NEWSDESK_DB": "postgresql://postgres@127.0.0.1:1/nowhere"},
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().startswith(
        "Newsdesk could not open the PostgreSQL database at postgresql://postgres@127.0.0.1:1/"
    )


def test_the_sandbox_db_option_wins_over_a_postgresql_newsdesk_db(tmp_path: Path) -> None:
    script = tmp_path / "empty.txt"
    script.write_text(":as admin\n")
    env = {**os.environ, "NEWSDESK_DB": "postgresql://nobody@127.0.0.1:1/unreachable"}
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--no-demo", "--db",
         str(tmp_path / "db.sqlite3"), "--script", str(script)],
        capture_output=True, text=True, timeout=120, check=False, env=env, cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    assert f"database {tmp_path / 'db.sqlite3'}," in completed.stdout


SCRIPT_PRIVATE = """\
:as admin
/feed add url:http://10.1.2.3/feed.xml channel:#news
/feed add url:http://127.0.0.1:9/feed.xml channel:#news
/feed add url:{serve}/feed.xml channel:#news
"""


def test_the_sandbox_fetches_from_its_own_servers_only(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "feed.xml").write_bytes(rss(1, 2))
    script_file = tmp_path / "private.txt"
    script_file.write_text(SCRIPT_PRIVATE)
    transcript = tmp_path / "private.jsonl"
    # With the demo newswire: the sandbox follows it at start-up, from its own loopback port.
    completed = subprocess.run(
        [
            sys.executable, "-m", "bot", "sandbox", "--db", str(tmp_path / "sandbox.sqlite3"),
            "--serve", str(served), "--script", str(script_file),
            "--transcript", str(transcript),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    replies = [
        entry for entry in map(json.loads, transcript.read_text().splitlines())
        if entry["kind"] != "post"
    ]
    refusal = "That address points into a private network, which Newsdesk does not fetch from."
    assert [reply["content"] for reply in replies[:2]] == [refusal, refusal]
    assert "Now following **Example News** in #news" in replies[2]["content"]


def test_a_damaged_or_unwritable_database_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(bytes(range(256)) * 32)
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    script = tmp_path / "empty.txt"
    script.write_text(":as admin\n")
    for database, expected in [
        (damaged, f"The database file {damaged} is damaged or is not a Newsdesk database"),
        (a_file / "newsdesk.sqlite3", "Newsdesk cannot write to the database file"),
    ]:
        sandbox = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--no-demo", "--db", str(database),
             "--script", str(script)],
            capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        )
        run = subprocess.run(
            [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, timeout=60,
            check=False, cwd=tmp_path,
            env={**os.environ, "DISCORD_TOKEN": "not-used", "NEWSDESK_DB": str(database)},
        )
        for completed in (sandbox, run):
            assert completed.returncode == 2, completed.stderr
            assert "Traceback" not in completed.stderr
            assert completed.stderr.strip().startswith(expected), completed.stderr
