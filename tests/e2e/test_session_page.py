"""``newsdesk sandbox --html``: the session page, rendered by a real headless Chromium.

Needs Debian's ``chromium`` (``.ci/run`` installs it); outside CI the test is skipped when it
is missing, in CI it fails. ``NEWSDESK_WRITE_SCREENSHOT=1`` also saves the screenshot as
``docs/sandbox-session.png``, the image README shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.discord_io.embeds import EMBED_COLOUR
from tests.e2e.conftest import rss

REPO = Path(__file__).resolve().parents[2]
README_IMAGE = REPO / "docs" / "sandbox-session.png"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
FIRST_RUN = "/feed add url:{serve}/feed.xml channel:#news\n"
SECOND_RUN = """\
:poll
/feed template subscription:1 template:"Fresh from {source}: {title}"
/trend term:council
/feed export
:as member
/feed add url:{serve}/feed.xml channel:#news
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the session page test (see .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")
    return found


def sandbox(tmp_path: Path, served: Path, script: str, *extra: str) -> str:
    script_file = tmp_path / "script.txt"
    script_file.write_text(script)
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--no-demo", "--db",
         str(tmp_path / "sandbox.sqlite3"), "--serve", str(served), "--script", str(script_file),
         *extra],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_session_page_looks_like_discord_in_chromium(tmp_path: Path) -> None:
    browser = chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (after the skip)

    served = tmp_path / "served"
    served.mkdir()
    (served / "feed.xml").write_bytes(rss(1, 2))
    sandbox(tmp_path, served, FIRST_RUN)
    (served / "feed.xml").write_bytes(rss(1, 2, 3, 4))
    page_file = tmp_path / "session.html"
    output = sandbox(tmp_path, served, SECOND_RUN, "--html", str(page_file))
    assert f"Session page: {page_file}" in output
    files = tmp_path / "session-files"
    assert sorted(p.name.split("-", 1)[1] for p in files.iterdir()) == [
        "newsdesk-feeds.opml", "trend.png",
    ]

    shot = tmp_path / "session.png"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=browser, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1100, "height": 900},
        )
        try:
            page = context.new_page()
            page.goto(page_file.as_uri())
            style = "(element) => getComputedStyle(element)"
            assert page.eval_on_selector("body", f"{style}.backgroundColor") == "rgb(49, 51, 56)"
            embeds = page.locator(".embed")
            assert embeds.count() == 3  # two posts and the template's preview
            red, green, blue = EMBED_COLOUR >> 16, EMBED_COLOUR >> 8 & 255, EMBED_COLOUR & 255
            assert embeds.first.evaluate(f"{style}.borderLeftColor") == (
                f"rgb({red}, {green}, {blue})"
            )
            assert page.locator(".embed-title a").first.inner_text().startswith("Story 3:")
            assert page.locator(".button.success").inner_text() == "Save"
            assert page.locator(".button.secondary").inner_text() == "Cancel"
            text = page.inner_text("body")
            assert "<t:" not in text and "UTC" in text
            assert page.locator("time.stamp").count() >= 2
            chart = page.locator("img.attachment-image")
            assert chart.evaluate("(image) => image.complete && image.naturalWidth") > 100
            assert page.locator("a[href$='newsdesk-feeds.opml']").count() == 1
            assert "needs Manage Server" in page.locator(".answer").inner_text()
            assert "Only you (admin) can see this" in text
            page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("NEWSDESK_WRITE_SCREENSHOT"):
        shutil.copyfile(shot, README_IMAGE)
    assert README_IMAGE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the image README shows
