"""ATTACHMENT options: typed paths and given bytes reach the bot, which downloads them."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from tests.sandbox.conftest import RunningBot

QUICK = 5.0
OPML = b'<?xml version="1.0"?>\n<opml version="2.0"><body/></opml>\n'


async def test_typed_relative_path_is_uploaded_and_readable(
    running: RunningBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "feeds.opml").write_bytes(OPML)
    monkeypatch.chdir(tmp_path)
    sandbox = running.sandbox
    outcome = await sandbox.run_command(
        "/feed import file:in/feeds.opml channel:#news", timeout=QUICK
    )
    assert outcome.refused is None, outcome.refused
    assert outcome.contents == [
        f'feeds.opml {len(OPML)} text/x-opml -> news: <?xml version="1.0"?>'
    ]
    record = sandbox.state.interactions.get(outcome.messages[0].interaction_id or 0)
    assert record is not None
    [subcommand] = record.payload["data"]["options"]
    option = next(o for o in subcommand["options"] if o["name"] == "file")
    assert option["type"] == 11
    attachment = record.payload["data"]["resolved"]["attachments"][option["value"]]
    assert attachment["filename"] == "feeds.opml" and attachment["size"] == len(OPML)
    assert attachment["url"] == attachment["proxy_url"]
    assert attachment["url"].startswith(f"http://127.0.0.1:{sandbox.port}/attachments/")
    assert set(attachment) >= {"id", "filename", "size", "url", "proxy_url", "content_type"}


async def test_absolute_path_and_given_bytes(running: RunningBot, tmp_path: Path) -> None:
    sandbox = running.sandbox
    path = tmp_path / "list.txt"
    path.write_bytes(b"one\ntwo\n")
    typed = await sandbox.run_command(f'/feed import file:"{path}" channel:#tech', timeout=QUICK)
    assert typed.contents == ["list.txt 8 text/plain -> tech: one"]
    given = await sandbox.run_command(
        "/feed import channel:#world", files={"file": ("feeds.opml", OPML)}, timeout=QUICK
    )
    assert given.contents == [f'feeds.opml {len(OPML)} text/x-opml -> world: <?xml version="1.0"?>']


async def test_attachment_url_serves_bytes_without_auth(running: RunningBot) -> None:
    sandbox = running.sandbox
    outcome = await sandbox.run_command(
        "/feed import channel:#news", files={"file": ("a b.bin", b"\x00\x01")}, timeout=QUICK
    )
    record = sandbox.state.interactions.get(outcome.messages[0].interaction_id or 0)
    assert record is not None
    [attachment] = record.payload["data"]["resolved"]["attachments"].values()
    async with aiohttp.ClientSession() as session:
        async with session.get(attachment["url"]) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/octet-stream"
            assert await response.read() == b"\x00\x01"
        async with session.get(f"http://127.0.0.1:{sandbox.port}/attachments/1/x") as response:
            assert response.status == 404


@pytest.mark.parametrize(
    ("line", "files", "fragment"),
    [
        ("/feed import file:nowhere/feeds.opml channel:#news", None, "there is no file"),
        ("/feed import channel:#news", None, "needs the option file"),
        ("/feed import channel:#news", {"note": ("a.txt", b"x")}, "not a file option"),
        ("/feed import channel:#news", {"nope": ("a.txt", b"x")}, "no option 'nope'"),
        ("/feed import file:x.opml channel:#news", {"file": ("a", b"x")}, "given twice"),
        (
            "/feed import channel:#news",
            {"file": ("big.bin", b"x" * (10 * 1024 * 1024 + 1))},
            "10 MiB",
        ),
    ],
)
async def test_file_refusals(
    running: RunningBot,
    line: str,
    files: dict[str, tuple[str, bytes]] | None,
    fragment: str,
) -> None:
    before = len(running.sandbox.messages)
    outcome = await running.sandbox.run_command(line, files=files, timeout=QUICK)
    assert outcome.refused is not None and fragment in outcome.refused, outcome.refused
    assert len(running.sandbox.messages) == before


async def test_missing_file_sentence_names_the_path(
    running: RunningBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = await running.sandbox.run_command(
        "/feed import file:feeds.opml channel:#news", timeout=QUICK
    )
    assert outcome.refused == (
        f"/feed import file: there is no file feeds.opml (looked for {tmp_path / 'feeds.opml'})."
    )
