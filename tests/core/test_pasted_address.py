"""The one parser of an article address a member pastes (/story, /feed why, /summarize)."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.core.urls import pasted_address


@pytest.mark.parametrize(
    ("pasted", "address"),
    [
        ("https://news.example/a", "https://news.example/a"),
        ("  <https://news.example/a?id=1>  ", "https://news.example/a?id=1"),
        ("http://news.example/a", "http://news.example/a"),
    ],
)
def test_the_address_is_kept_as_pasted_without_what_surrounds_it(
    pasted: str, address: str
) -> None:
    assert pasted_address(pasted) == address


@pytest.mark.parametrize(
    "pasted", ["news.example/a", "ftp://news.example/a", "", "<>", "https://" + "a" * 2050]
)
def test_anything_but_a_full_web_address_is_refused_with_what_to_give(pasted: str) -> None:
    with pytest.raises(InvalidInput, match="full web address, starting with https://"):
        pasted_address(pasted)
