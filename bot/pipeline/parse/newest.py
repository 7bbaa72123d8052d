"""A feed's newest items only: how a document listing thousands of items is cut before it is
parsed.

Rules:

- An RSS/RDF/Atom document whose item and entry start tags number at most ``max_items`` is
  left exactly as it came (one byte scan; most feeds stop here). Otherwise it is read with
  lxml (recovering, no entities resolved, no network, no huge-tree mode), its items are
  counted, and all but the newest ``max_items`` are removed before feedparser (the slow part,
  about a third of a millisecond an item) sees it.
- Newest means by the item's date (``pubDate``, ``published``, ``updated``, ``dc:date``…);
  undated items count as older than dated ones and keep document order among themselves
  (feeds list newest first). A JSON Feed's items are cut the same way after ``json.loads``.
- Whatever cannot be cut (lxml cannot read the document at all) is left as it came: the
  worker pool's deadline still bounds it.
- ``keep_newest`` is the one choice of which items are newest; fastfeedparser's path
  (``fast_syndication``), which reads every item in native code first, chooses with it too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

# Every item or entry start tag, with or without a prefix; comments and CDATA may add false
# matches, never hide a real one, so a count at or under the limit proves no cut is needed.
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_ITEM_NAMES = frozenset({"item", "entry"})
_DATE_NAMES = ("pubDate", "published", "updated", "date", "issued", "modified", "created")
_OLDEST = datetime.min.replace(tzinfo=UTC)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _date(text: str | None) -> datetime | None:
    """Read an RFC 822 or ISO 8601 date; None when it is neither."""
    value = (text or "").strip()
    if not value or len(value) > 64:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _item_date(item: Any) -> datetime | None:
    dates: dict[str, datetime] = {}
    for child in item:
        name = _local(child.tag)
        if name in _DATE_NAMES and name not in dates:
            moment = _date(child.text)
            if moment is not None:
                dates[name] = moment
    return next((dates[name] for name in _DATE_NAMES if name in dates), None)


def keep_newest(dated: list[tuple[datetime | None, int]], max_items: int) -> set[int]:
    """Return the positions of the newest ``max_items`` of (date, position) pairs."""
    ranked = sorted(
        dated, key=lambda pair: (pair[0] is not None, pair[0] or _OLDEST, -pair[1]), reverse=True
    )
    return {position for _, position in ranked[:max_items]}


def newest_items_xml(body: bytes, max_items: int) -> tuple[bytes, int | None]:
    """Return the document with only its newest ``max_items`` items, and how many it listed
    (None when it was not counted: it cannot need cutting, or lxml could not read it)."""
    if len(_ITEM_START.findall(body)) <= max_items:
        return body, None
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False,
        remove_blank_text=False,
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return body, None
    if root is None:
        return body, None
    items = [element for element in root.iter() if _local(element.tag) in _ITEM_NAMES]
    if len(items) <= max_items:
        return body, len(items)
    keep = keep_newest([(_item_date(item), n) for n, item in enumerate(items)], max_items)
    for position, item in enumerate(items):
        if position not in keep:
            parent = item.getparent()
            if parent is not None:
                parent.remove(item)
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    return etree.tostring(root.getroottree(), encoding=encoding, xml_declaration=True), len(
        items
    )


def newest_json_items(items: list[Any], max_items: int) -> list[Any]:
    """Return a JSON Feed's newest ``max_items`` items, in their document order."""
    if len(items) <= max_items:
        return items

    def item_date(item: Any) -> datetime | None:
        if not isinstance(item, dict):
            return None
        for key in ("date_published", "date_modified"):
            value = item.get(key)
            if isinstance(value, str) and (moment := _date(value)) is not None:
                return moment
        return None

    keep = keep_newest([(item_date(item), n) for n, item in enumerate(items)], max_items)
    return [item for n, item in enumerate(items) if n in keep]
