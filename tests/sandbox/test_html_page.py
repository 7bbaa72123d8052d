"""The session page's rendering of Discord markup: nothing from a feed becomes page markup."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sandbox.html_page import markdown

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_markup_becomes_what_discord_shows() -> None:
    seconds = int(datetime(2026, 12, 3, 11, 58, tzinfo=UTC).timestamp())
    text = f"**Bold** [Title](<https://news.example/a?x=1&y=2>) `code` <t:{seconds}:R>"
    rendered = markdown(f"{text} <t:{seconds}:f>", NOW)
    assert rendered == (
        "<strong>Bold</strong> <a href=\"https://news.example/a?x=1&amp;y=2\">Title</a> "
        "<code>code</code> <time class=\"stamp\" datetime=\"2026-12-03T11:58:00+00:00\">"
        "2 minutes ago</time> <time class=\"stamp\" datetime=\"2026-12-03T11:58:00+00:00\">"
        "3 December 2026 11:58 UTC</time>"
    )


def test_feed_text_is_escaped_and_only_web_addresses_link() -> None:
    rendered = markdown(
        '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="y">', NOW
    )
    assert "<script" not in rendered and "<img" not in rendered
    assert "href" not in rendered
    assert "&lt;script&gt;" in rendered
