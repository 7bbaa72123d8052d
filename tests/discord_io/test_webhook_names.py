"""Webhook names from feed titles: what Discord accepts, whatever the title (a pure function)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord_io.webhook_names import DEFAULT_WEBHOOK_NAME, WEBHOOK_NAME_LIMIT, webhook_name
from bot.sandbox.fake_discord.discord_limits import webhook_name_error


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Example News", "Example News"),
        ("DISCORD Weekly", "D1SCORD Weekly"),
        ("Discord and discord", "D1scord and d1scord"),
        ("Clyde's picks", "C1yde's picks"),
        ("CLYDE", "C1YDE"),
        ("ｄｉｓｃｏｒｄ", "ｄ1ｓｃｏｒｄ"),
        ("disc\u200bord news", "d1scord news"),
        ("dis\u00adcord", "d1scord"),
        ("\u0421lyde", "\u04211yde"),  # Cyrillic capital Es
        ("D\u0456scord", "D1scord"),  # Cyrillic i
        ("disc\u03bfrd", "d1sc\u03bfrd"),  # Greek omicron
        ("CIyde", "C1yde"),  # capital I for l
        ("Dlscord", "D1scord"),
        ("  Morning \t\n  brief  ", "Morning brief"),
        ("\u3164", DEFAULT_WEBHOOK_NAME),
        ("", DEFAULT_WEBHOOK_NAME),
        ("   ", DEFAULT_WEBHOOK_NAME),
        ("\u200b\u200d\ufeff", DEFAULT_WEBHOOK_NAME),
    ],
)
def test_titles_become_names_discord_accepts(title: str, name: str) -> None:
    assert webhook_name(title) == name


def test_a_long_title_is_cut_to_80_characters() -> None:
    title = " ".join(["word"] * 32) + " " + "x" * 40  # 200 characters
    name = webhook_name(title)
    assert len(title) == 200
    assert len(name) <= WEBHOOK_NAME_LIMIT
    assert name.endswith("…") and name.startswith("word word")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["discord", "DISCORD", "clyde", "Cl", "yde", "disc", "ord", "\u200b", "\u0421",
             "\u0441", "\u0456", "\u03bf", "ｄ", " ", "\u3164", "I", "l", "1", "x" * 30]
        )
        | st.text(max_size=5),
        max_size=12,
    ).map("".join)
)
def test_every_name_passes_discords_rule(title: str) -> None:
    name = webhook_name(title)
    assert webhook_name_error(name) is None, (title, name)
    assert "discord" not in name.casefold() and "clyde" not in name.casefold()
    assert webhook_name(name) == name
