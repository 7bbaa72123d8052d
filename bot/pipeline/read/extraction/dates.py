"""Publish dates: from the page's declarations, never from a widget or the crawl.

Rules, in order of trust:

1. JSON-LD ``datePublished``, article-like objects first;
2. ``<meta>`` publish tags: ``article:published_time``, ``og:published_time``,
   ``datePublished``, ``pubdate``, ``publishdate``, ``date``, ``dc.date.issued``, ...;
3. ``<time datetime>`` marked ``datePublished``/``pubdate``, or inside ``<article>``/``<main>``;
4. trafilatura's date (htmldate with ``original_date=True``), unless it is a site-header
   "today" date printed on its own in a page header (``Fri. Jul 1st, 2022``).

When the markup declares a date and trafilatura finds one more than a day away, the
declaration is one of several (modified, updated, a comment's ``<time>``) and htmldate,
which weighs them all, is followed, unless the feed's own date for the entry agrees with
the declaration and not with htmldate; a widget date is never followed. A page that
gives no date at all takes the feed's, and so does a page whose only date is htmldate's
first-of-a-month guess (a bare year or month in the text, such as a headline's "1998")
that disagrees with the feed's.

Values are normalised to timezone-aware UTC; a date without a time is midnight UTC and a
naive time is taken as UTC. Dates in the future (beyond a day) or before 1995 are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

ARTICLE_TYPES = ("article", "posting", "report", "blog", "webpage")
PUBLISH_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "parsely-pub-date",
    "sailthru.date",
    "date",
)
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
AGREE = timedelta(days=1, hours=14)
"""A declared date and htmldate's that are this close name the same day in some zone."""

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "januar", "janvier", "enero"),
            ("feb", "february", "februar", "février", "febrero"),
            ("mar", "march", "märz", "mars", "marzo"),
            ("apr", "april", "avril", "abril"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juni", "juin", "junio"),
            ("jul", "july", "juli", "juillet", "julio"),
            ("aug", "august", "août", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre"),
            ("oct", "october", "oktober", "octobre", "octubre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "dezember", "décembre", "diciembre"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAY = (
    r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?"
    r"|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
)
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th)?"
_NAMED_DATE = re.compile(
    rf"^(?:(?:{_WEEKDAY})\.?,?\s+)?"
    rf"(?:(?P<month1>{_MONTH_NAME})\.?\s+(?P<day1>\d{{1,2}}){_ORDINAL},?\s+(?P<year1>\d{{4}})"
    rf"|(?P<day2>\d{{1,2}}){_ORDINAL}\.?\s+(?P<month2>{_MONTH_NAME})\.?,?\s+(?P<year2>\d{{4}}))"
    r"(?:\s*(?:[-|•,]\s*)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?)?$",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(
    r"^(?:(?:" + _WEEKDAY + r")\.?,?\s+)?"
    r"(?:(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{2})-(?P<d2>\d{2}))"
    r"(?:\s*[-|,]?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)?(?:\s*Uhr)?$",
    re.IGNORECASE,
)


def parse_datetime(value: str) -> datetime | None:
    """Parse an ISO 8601 value (or a bare date) into aware UTC; None when unreadable."""
    text = value.strip()
    if not text:
        return None
    text = re.sub(r"Z$", "+00:00", text)
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # +0800 -> +08:00
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
        if match is None:
            return None
        try:
            parsed = datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_standalone_date(line: str) -> date | None:
    """Return the date when ``line`` is nothing but a date (a widget or dateline), else None."""
    text = " ".join(line.split())
    if len(text) > 60:
        return None
    named = _NAMED_DATE.match(text)
    try:
        if named:
            month = named["month1"] or named["month2"]
            day = named["day1"] or named["day2"]
            year = named["year1"] or named["year2"]
            return date(int(year), _MONTHS[month.lower()], int(day))
        numeric = _NUMERIC_DATE.match(text)
        if numeric:
            if numeric["y"]:
                return date(int(numeric["y"]), int(numeric["m"]), int(numeric["d"]))
            return date(int(numeric["y2"]), int(numeric["m2"]), int(numeric["d2"]))
    except ValueError:
        return None
    return None


def _plausible(value: datetime | None, now: datetime) -> datetime | None:
    if value is None or value < EARLIEST or value > now + timedelta(days=1):
        return None
    return value


def _is_article(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and any(t in k.lower() for t in ARTICLE_TYPES) for k in kinds)


def _json_ld_date(objects: Iterable[dict[str, Any]]) -> str | None:
    ordered = sorted(objects, key=lambda obj: not _is_article(obj))
    for obj in ordered:
        value = obj.get("datePublished")
        if isinstance(value, str) and value.strip():
            return value
    return None


def declared_publish_date(
    json_ld: Iterable[dict[str, Any]],
    meta: dict[str, str],
    article_times: Iterable[str],
    *,
    now: datetime | None = None,
) -> datetime | None:
    """Return the publish date the markup declares (JSON-LD, meta tags, ``<time>``)."""
    now = now or datetime.now(UTC)
    candidates: list[str] = []
    from_json_ld = _json_ld_date(json_ld)
    if from_json_ld:
        candidates.append(from_json_ld)
    candidates.extend(meta[key] for key in PUBLISH_META_KEYS if key in meta)
    candidates.extend(article_times)
    for candidate in candidates:
        parsed = _plausible(parse_datetime(candidate), now)
        if parsed is not None:
            return parsed
    return None


def choose_publish_date(
    declared: datetime | None,
    library_date: str | None,
    widget_dates: Iterable[date],
    *,
    feed_date: datetime | None = None,
    now: datetime | None = None,
) -> datetime | None:
    """Return the declared date, else the library's date unless a widget printed it.

    ``widget_dates`` is read only when the library's date would be chosen (it may be a lazy
    iterable: finding widgets costs a walk over the whole page). ``feed_date`` (what the
    feed said) settles a disagreement: of two page dates that are days apart, the one that
    agrees with the feed is chosen.
    """
    parsed = _plausible(parse_datetime(library_date or ""), now or datetime.now(UTC))
    if declared is not None and parsed is not None and abs(declared - parsed) <= AGREE:
        return declared
    if declared is not None and parsed is not None and feed_date is not None:
        agreeing = [day for day in (declared, parsed) if abs(day - feed_date) <= AGREE]
        if agreeing:
            return agreeing[0]
    if parsed is not None and parsed.date() in set(widget_dates):
        parsed = None
    if (
        declared is None and parsed is not None and feed_date is not None
        and parsed.day == 1 and abs(parsed - feed_date) > AGREE
    ):
        # htmldate pads a bare year or month found in the text ("the 1998 floods") to the
        # first day; such a guess does not outweigh the date the feed gives the entry.
        parsed = None
    return parsed or declared
