"""URL normalisation: one table of (link, comparison key)."""

from __future__ import annotations

import pytest

from bot.pipeline.story.copies import normalise_url

CASES = [
    # scheme, host case, default ports
    ("http://Example.COM/news/story", "https://example.com/news/story"),
    ("HTTPS://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("https://www.example.com/a", "https://example.com/a"),
    ("https://example.com./a", "https://example.com/a"),
    # trailing slash, empty path, fragment
    ("https://example.com/a/b/", "https://example.com/a/b"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    # tracking parameters dropped, real ids kept, order irrelevant
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?UTM_Campaign=x&fbclid=abc&gclid=1", "https://example.com/a"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&ref=hn&ref_src=twsrc", "https://example.com/a"),
    ("https://example.com/article?id=123&utm_source=x", "https://example.com/article?id=123"),
    ("https://example.com/?p=42", "https://example.com/?p=42"),
    ("https://example.com/news?story=abc&section=world",
     "https://example.com/news?section=world&story=abc"),
    ("https://example.com/news?section=world&story=abc",
     "https://example.com/news?section=world&story=abc"),
    ("https://example.com/a?flag=", "https://example.com/a?flag="),
    # not an http(s) article link: returned stripped, otherwise untouched
    ("  mailto:desk@example.com ", "mailto:desk@example.com"),
    ("not a url", "not a url"),
    ("https://", "https://"),
    ("http://[::1]:80/x/", "https://[::1]/x"),
    ("http://example.com:bad/x", "http://example.com:bad/x"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_normalising_twice_changes_nothing() -> None:
    for url, _ in CASES:
        once = normalise_url(url)
        assert normalise_url(once) == once


@pytest.mark.parametrize(
    "link",
    [
        "http://xn--a-/x", "http://[::1/x", "http://a.com:99999/", "http://a.com:-1/",
        "https://a.example/?\ud800=1", "https://a.example/\udfff", "http://\ud800/",
        "http://a\x00b.com/", "http://" + "a" * 300 + "/",
    ],
)
def test_hostile_links_are_their_own_key(link: str) -> None:
    key = normalise_url(link)
    assert isinstance(key, str)
    assert normalise_url(link) == key
