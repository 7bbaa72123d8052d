"""/trend charts draw what members typed, never matplotlib mathtext."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from matplotlib import mathtext

from bot.features.search.trends import TREND_DAYS, TrendSeries, render_trend_chart

DAYS = tuple(date(2026, 11, 1) + timedelta(days=offset) for offset in range(TREND_DAYS))


def series(term: str) -> TrendSeries:
    return TrendSeries(term, DAYS, tuple(offset % 3 for offset in range(TREND_DAYS)))


def test_dollar_terms_are_drawn_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_formulas(*args: object, **kwargs: object) -> object:
        raise AssertionError(f"mathtext asked to typeset {args[1:2]}")

    monkeypatch.setattr(mathtext.MathTextParser, "parse", no_formulas)
    terms = [r"$\frac{a}{b}$", r"$\frac{a}$", "$5 and $10"]
    png = render_trend_chart(
        [series(term) for term in terms], "Daily mentions: " + ", ".join(terms)
    )
    assert png.startswith(b"\x89PNG")


def test_an_invalid_formula_is_no_error() -> None:
    # With mathtext on, "$\frac{a}$" (a missing argument) raised ValueError when drawn.
    assert render_trend_chart([series(r"$\frac{a}$")], r"$\frac{a}$").startswith(b"\x89PNG")
