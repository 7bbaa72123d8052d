"""``/trend``: daily mentions of terms in a server's articles, drawn as a PNG chart.

Rules: a mention is an article (first seen that day, UTC) whose title, summary or text
contains the term as words; days without mentions count as zero; up to ``MAX_TERMS`` terms
side by side over ``TREND_DAYS`` days; terms with no mention at all get a sentence, not an
empty chart. The chart is drawn in Discord's dark theme colours. Drawing runs headless
(matplotlib's Agg backend) and is CPU work: callers run ``render_trend_chart`` in a thread.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core.errors import InvalidInput
from bot.core.text import trim_text
from bot.features.search.search import fts_query
from storage import Repositories

TREND_DAYS = 30
MAX_TERMS = 4


@dataclass(frozen=True)
class TrendSeries:
    """One term's daily mention counts, oldest day first."""

    term: str
    days: tuple[date, ...]
    counts: tuple[int, ...]


def split_terms(text: str) -> list[str]:
    """Read "term, another term" into at most ``MAX_TERMS`` terms.

    Raises:
        InvalidInput: no term was given, or too many.
    """
    terms = [" ".join(part.split()) for part in text.split(",") if part.strip()]
    if not terms:
        raise InvalidInput("Give a term to chart, or several separated by commas.")
    if len(terms) > MAX_TERMS:
        raise InvalidInput(f"Chart at most {MAX_TERMS} terms at once.")
    return terms


class TrendService:
    """Counts how often a server's articles mention terms, day by day (``/trend``)."""

    def __init__(self, repositories: Repositories, clock: Callable[[], datetime]) -> None:
        self._repos = repositories
        self._clock = clock

    async def daily_mentions(self, guild_id: int, terms: Sequence[str]) -> list[TrendSeries]:
        """Count each term's mentions per day over the last ``TREND_DAYS`` days."""
        now = self._clock()
        first_day = (now - timedelta(days=TREND_DAYS - 1)).date()
        days = tuple(first_day + timedelta(days=offset) for offset in range(TREND_DAYS))
        since = datetime.combine(first_day, datetime.min.time(), tzinfo=now.tzinfo)
        series: list[TrendSeries] = []
        for term in terms:
            counts = await self._repos.articles.daily_counts(guild_id, fts_query(term), since)
            series.append(TrendSeries(term, days, tuple(counts.get(day, 0) for day in days)))
        return series


def describe_no_mentions(terms: Sequence[str]) -> str:
    """Say that no article of the period mentions any of the terms (instead of a flat chart)."""
    shown = " or ".join(f"**{trim_text(term, 100)}**" for term in terms)
    return (
        f"No article in this server's feeds mentions {shown} in the last {TREND_DAYS} days, "
        "so there is nothing to chart."
    )


def render_trend_chart(series: Sequence[TrendSeries], title: str) -> bytes:
    """Draw the series as a PNG line chart and return its bytes.

    Terms and title are drawn as typed: with mathtext off, ``$\\frac{a}{b}$`` is those
    characters, never a formula (nor an error, when it is not a valid one).
    """
    # Imported here, not at the top: matplotlib was a quarter of the bot's start-up imports,
    # paid by every process, role and `newsdesk` command, and only /trend draws.
    import matplotlib  # noqa: PLC0415 (only /trend draws)

    matplotlib.use("Agg")
    # Discord's dark theme colours (most members read in it): a white chart would glare.
    with matplotlib.rc_context({
        "text.parse_math": False,
        "figure.facecolor": "#313338",
        "axes.facecolor": "#2b2d31",
        "axes.edgecolor": "#4e5058",
        "axes.labelcolor": "#dbdee1",
        "axes.titlecolor": "#f2f3f5",
        "text.color": "#dbdee1",
        "xtick.color": "#b5bac1",
        "ytick.color": "#b5bac1",
        "grid.color": "#4e5058",
        "legend.facecolor": "#2b2d31",
        "legend.edgecolor": "#4e5058",
    }):
        return _draw(series, title)


def _draw(series: Sequence[TrendSeries], title: str) -> bytes:
    from matplotlib import pyplot  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    figure, axes = pyplot.subplots(figsize=(9, 4.5), dpi=100)
    try:
        for one in series:
            positions = list(range(len(one.days)))
            axes.plot(positions, one.counts, marker="o", markersize=3, linewidth=2,
                      label=one.term)
        if series:
            days = series[0].days
            ticks = list(range(0, len(days), 5))
            axes.set_xticks(ticks, [days[tick].strftime("%d %b") for tick in ticks])
        axes.set_title(title)
        axes.set_ylabel("articles mentioning it")
        highest = max((max(one.counts, default=0) for one in series), default=0)
        axes.set_ylim(bottom=0, top=max(1, highest) * 1.1)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)
