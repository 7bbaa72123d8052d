"""Dates, authors and original sources, as unit tables."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.pipeline.read.extraction import extract_article
from bot.pipeline.read.extraction.authors import clean_author
from bot.pipeline.read.extraction.dates import (
    choose_publish_date,
    declared_publish_date,
    parse_datetime,
    parse_standalone_date,
)

NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-01-20T05:00:12+08:00", datetime(2022, 1, 19, 21, 0, 12, tzinfo=UTC)),
        ("2022-01-20T05:00:12Z", datetime(2022, 1, 20, 5, 0, 12, tzinfo=UTC)),
        ("2022-01-20T05:00:12+0100", datetime(2022, 1, 20, 4, 0, 12, tzinfo=UTC)),
        ("2022-01-20", datetime(2022, 1, 20, tzinfo=UTC)),
        ("2022-01-20 05:00", datetime(2022, 1, 20, 5, 0, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_datetime_normalises_to_utc(value: str, expected: datetime | None) -> None:
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Fri. Jul 1st, 2022", date(2022, 7, 1)),
        ("Friday, July 1, 2022", date(2022, 7, 1)),
        ("1 July 2022", date(2022, 7, 1)),
        ("Dienstag, 28. April 2020", date(2020, 4, 28)),
        ("19.10.2019 07:49 Uhr", date(2019, 10, 19)),
        ("2022-07-01", date(2022, 7, 1)),
        ("July 25, 2019 | 11:15 PM", date(2019, 7, 25)),
        ("On July 1, 2022 the troops left.", None),
        ("Police this month patrol the border", None),
    ],
)
def test_standalone_dates(line: str, expected: date | None) -> None:
    assert parse_standalone_date(line) == expected


def test_declared_date_prefers_json_ld_then_meta_then_time() -> None:
    json_ld = [{"@type": "WebPage"}, {"@type": "NewsArticle", "datePublished": "2022-01-19"}]
    meta = {"article:published_time": "2022-01-18T10:00:00Z"}
    assert declared_publish_date(json_ld, meta, (), now=NOW) == datetime(2022, 1, 19, tzinfo=UTC)
    assert declared_publish_date([], meta, (), now=NOW) == datetime(2022, 1, 18, 10, tzinfo=UTC)
    assert declared_publish_date([], {}, ("2021-05-04T08:00:00+02:00",), now=NOW) == datetime(
        2021, 5, 4, 6, tzinfo=UTC
    )
    assert declared_publish_date([], {"date": "2999-01-01"}, (), now=NOW) is None


def test_a_widget_date_is_never_the_publish_date() -> None:
    assert choose_publish_date(None, "2022-07-01", [date(2022, 7, 1)], now=NOW) is None
    declared = datetime(2022, 1, 19, 21, tzinfo=UTC)
    assert choose_publish_date(declared, "2022-07-01", [date(2022, 7, 1)], now=NOW) == declared
    assert choose_publish_date(declared, "2022-01-20", [], now=NOW) == declared
    assert choose_publish_date(None, "2022-01-20", [], now=NOW) == datetime(2022, 1, 20, tzinfo=UTC)


def test_the_header_widget_is_refused_when_nothing_is_declared() -> None:
    page = (
        "<html><body><header><span class='date'>Fri. Jul 1st, 2022</span></header>"
        "<article><h1>A title</h1>"
        + "<p>The troops went home on Wednesday, said the minister.</p>" * 8
        + "</article></body></html>"
    )
    article = extract_article(page, url="https://blog.example/a")
    assert article.published is None or article.published.date() != date(2022, 7, 1)


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("admin", None),
        ("Admin", None),
        ("By admin", None),
        ("Editor", None),
        ("Staff", None),
        ("Webmaster", None),
        ("Newsroom", None),
        ("The Newsdesk Team", None),
        ("Redaktion", None),
        ("news@example.com", None),
        ("", None),
        (None, None),
        ("By Jane Doe", "Jane Doe"),
        ("Zhang Xin", "Zhang Xin"),
        ("Jane Doe; admin", "Jane Doe"),
        ("Alexa von Heyden", "Alexa von Heyden"),
    ],
)
def test_generic_accounts_are_not_authors(byline: str | None, expected: str | None) -> None:
    assert clean_author(byline) == expected


def _page(body: str, head: str = "") -> str:
    paragraphs = "<p>The committee met on Monday and agreed a new budget for the year.</p>" * 6
    return f"<html><head>{head}</head><body><article>{paragraphs}{body}</article></body></html>"


@pytest.mark.parametrize(
    ("body", "head", "url", "publisher"),
    [
        ('<p><a href="https://www.scmp.com/news/a">Source link</a></p>', "",
         "https://www.scmp.com/news/a", "South China Morning Post"),
        ('<p>Source: <a href="https://paper.example/x">The Daily Paper</a></p>', "",
         "https://paper.example/x", "The Daily Paper"),
        ('<p>Originally published at <a href="https://orig.example/y">orig.example</a>.</p>', "",
         "https://orig.example/y", "orig.example"),
        ('<p><a href="https://www.ft.com/content/z">Read the full article at FT</a></p>', "",
         "https://www.ft.com/content/z", "Financial Times"),
        ("", '<link rel="canonical" href="https://www.reuters.com/world/q">',
         "https://www.reuters.com/world/q", "Reuters"),
        ('<p><a href="https://twitter.com/share">Source link</a></p>', "", None, None),
        ('<p><a href="https://blog.example/other">Source link</a></p>', "", None, None),
    ],
)  # fmt: skip
def test_original_source(body: str, head: str, url: str | None, publisher: str | None) -> None:
    article = extract_article(_page(body, head), url="https://blog.example/post")
    assert (article.original_url, article.original_publisher) == (url, publisher)


def test_malformed_links_do_not_break_extraction() -> None:
    body = '<p><a href="https://[ccpa-preferences]/x">Source link</a></p>'
    head = '<link rel="canonical" href="http://[bad">'
    article = extract_article(_page(body, head), url="https://blog.example/post")
    assert article.original_url is None
    assert "The committee met on Monday" in article.text
