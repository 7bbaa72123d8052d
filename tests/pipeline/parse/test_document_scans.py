"""The fast path's searches of a document's bytes, written with ``bytes.find`` rather than
regular expressions that step through a whole document: each finds exactly what the pattern
it replaces finds (the pattern is quoted in its docstring)."""

from __future__ import annotations

import pytest

from bot.pipeline.parse.fast_syndication import _sets_link_base

_ROOT = b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/">'


@pytest.mark.parametrize(
    ("after_root", "expected"),
    [
        (b'<entry><link xml:base="/b/" href="c"/></entry>', True),
        (b'<entry xml:base = "/b/"><title>t</title></entry>', True),
        (b'<entry>\n<author\txml:base="/b/"></author></entry>', True),
        (b'<content xml:base="/b/">x</content>', False),  # changes no resolved link
        (b'<summary type="html" xml:base="/b/">x</summary>', False),
        (b'<contents xml:base="/b/">x</contents>', True),  # another element
        (b'<content:encoded xml:base="/b/">x</content:encoded>', False),  # "content" + \b
        (b"<entry><title>xml:base=1</title></entry>", False),  # text, in no tag
        (b'<entry><title> xml:base="/b/"</title></entry>', False),
        (b'<entry a="b"xml:base="/b/">', False),  # no space before it
        (b'<entry xml:base"/b/">', False),  # no "="
        (b'<1 xml:base="/b/">', False),  # no element name
        (b'<x <content xml:base="/b/">', True),  # "<x" opens a tag "<content" does not end
        (b"", False),
    ],
)
def test_an_element_setting_xml_base_is_found_after_the_root(
    after_root: bytes, expected: bool
) -> None:
    assert _sets_link_base(_ROOT + after_root, len(_ROOT)) is expected


def test_xml_base_before_the_start_is_not_looked_at() -> None:
    body = b' xml:base =<guidx=/<ax<guidx< :'
    assert _sets_link_base(body, 1) is False
    assert _sets_link_base(b'<a xml:base="/b/">', 0) is True
    assert _sets_link_base(b'<a xml:base="/b/">', 1) is False
