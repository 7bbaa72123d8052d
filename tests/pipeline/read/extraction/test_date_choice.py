"""Issue 16: the publish date combines the page's declarations, htmldate and the feed's date,
and the date widgets of the page are read only when the choice needs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from bot.pipeline.read.extraction import extract_article
from bot.pipeline.read.extraction.article import FeedFallback
from bot.pipeline.read.extraction.dates import choose_publish_date

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DECLARED = datetime(2022, 1, 19, 21, tzinfo=UTC)
MODIFIED = "2022-03-02"


def test_the_feed_settles_a_disagreement_between_the_page_dates() -> None:
    feed = datetime(2022, 1, 20, 6, tzinfo=UTC)
    assert choose_publish_date(DECLARED, MODIFIED, [], feed_date=feed, now=NOW) == DECLARED
    later_feed = datetime(2022, 3, 2, 12, tzinfo=UTC)
    chosen = choose_publish_date(DECLARED, MODIFIED, [], feed_date=later_feed, now=NOW)
    assert chosen == datetime(2022, 3, 2, tzinfo=UTC)
    # without the feed, htmldate (which weighs every date of the page) is followed
    assert choose_publish_date(DECLARED, MODIFIED, [], now=NOW) == datetime(2022, 3, 2, tzinfo=UTC)


def test_widgets_are_not_read_when_the_page_dates_agree() -> None:
    read: list[date] = []

    def widgets() -> Iterator[date]:
        read.append(date(2022, 1, 19))
        yield date(2022, 1, 19)

    assert choose_publish_date(DECLARED, "2022-01-20", widgets(), now=NOW) == DECLARED
    assert read == [], "the widgets were read though the page dates agree"
    assert choose_publish_date(None, "2022-01-19", widgets(), now=NOW) is None
    assert read, "a lone htmldate date is checked against the widgets"


def test_a_teaser_date_in_the_page_header_is_no_today_widget() -> None:
    # The page's header lists recent posts with their dates (a <li>/<figure>, or classed
    # "post"); one of them is this article: its date is the article's, not a crawl date.
    page = (
        "<html><body><header><ul><li><figure><figcaption><small>31.01.2022</small>"
        "</figcaption></figure></li></ul>"
        "<div class='vw-post-date'>31.01.2022</div></header>"
        "<div class='content'><h1>Transfer news</h1>"
        + "<p>The club signed a new goalkeeper on Monday, the coach said in the morning.</p>" * 8
        + "</div></body></html>"
    )
    article = extract_article(page, url="https://club.example/news/2022/01/31/transfer")
    # the same date in a "today" bar of the site's header is the day it was read: refused
    assert article.published == datetime(2022, 1, 31, tzinfo=UTC)
    teasers = "<ul><li><figure><figcaption><small>31.01.2022</small></figcaption></figure></li>"
    teasers += "</ul>"
    today_widget = page.replace(teasers, "").replace(
        "<div class='vw-post-date'>31.01.2022</div>", "<div class='today'>31.01.2022</div>"
    )
    address = "https://club.example/news/2022/01/31/transfer"
    assert extract_article(today_widget, url=address).published is None


def test_a_year_in_the_headline_does_not_outweigh_the_feeds_date() -> None:
    # A page with no date markup: htmldate reads "1998" in the headline as 1998-01-01. The
    # feed dates the entry today; the headline's year must not make the article 28 years old
    # (the desk would hold it back as too old).
    paragraph = "<p>Residents gathered by the river to remember the night the water rose.</p>"
    page = (
        "<html><head><title>Remembering the 1998 floods</title></head><body><article>"
        f"<h1>Remembering the 1998 floods</h1>{paragraph * 6}</article></body></html>"
    )
    feed_date = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    fallback = FeedFallback(title="Remembering the 1998 floods", text="", published=feed_date)
    article = extract_article(page, url="https://river.example/news/floods", fallback=fallback)
    assert article.published == feed_date
    # without the feed's date, htmldate's guess is all there is
    assert extract_article(page, url="https://river.example/news/floods").published == datetime(
        1998, 1, 1, tzinfo=UTC
    )
    # a full date in the text (not a padded guess) is still followed over the feed's
    dated = page.replace("<h1>", "<p>Published on 14 March 2021.</p><h1>")
    republished = extract_article(dated, url="https://river.example/news/floods", fallback=fallback)
    assert republished.published == datetime(2021, 3, 14, tzinfo=UTC)
