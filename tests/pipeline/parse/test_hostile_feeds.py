"""Hostile feed documents: entity bombs and external entities are never expanded."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from bot.core.errors import FeedParseError
from bot.pipeline.parse import ParsedFeed, parse_feed

FEED_URL = "https://hostile.example/feed.xml"


def billion_laughs(levels: int = 10) -> bytes:
    entities = '<!ENTITY lol0 "lolololololololololol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    )
    last = f"&lol{levels - 1};"
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel>'
        f"<title>{last}</title><item><title>{last}</title>"
        "<link>https://hostile.example/1</link></item></channel></rss>"
    ).encode()


def parse_or_none(body: bytes) -> ParsedFeed | None:
    try:
        return parse_feed(body, url=FEED_URL)
    except FeedParseError:
        return None


def test_an_entity_expansion_bomb_is_not_expanded() -> None:
    tracemalloc.start()
    try:
        parsed = parse_or_none(billion_laughs())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024
    if parsed is not None:
        assert len(parsed.title) < 1000
        assert all(len(entry.title) < 1000 for entry in parsed.entries)


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = "s3cr3t-token-from-disk"
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret)
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>'
        '<rss version="2.0"><channel><title>T &xxe;</title><item><title>I &xxe;</title>'
        "<link>https://hostile.example/1</link></item></channel></rss>"
    ).encode()
    parsed = parse_or_none(body)
    if parsed is not None:
        assert secret not in parsed.title
        assert all(secret not in entry.title for entry in parsed.entries)
