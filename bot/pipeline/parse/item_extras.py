"""What feedparser reads from an item and fastfeedparser does not, read with lxml when a
document needs it: every Media RSS thumbnail (fastfeedparser drops those beside a
``media:content``), Media RSS images, the media description, tags in document order
(``itunes:keywords``, ``media:keywords``, ``media:category`` and ``itunes:category``
included) and RDF's ``content:encoded``.

Rule: the items are read in document order; when they do not line up one for one with
fastfeedparser's entries, there are no extras (``None``) and feedparser reads the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

__all__ = ["ItemExtras", "ItemsExtras", "read_item_extras"]

_MEDIA = frozenset({"http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss"})
_ITUNES = frozenset(
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", "http://www.itunes.com/DTDs/Podcast-1.0.dtd"}
)
_DUBLIN_CORE = "http://purl.org/dc/elements/1.1/"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_CATEGORY_NAMESPACES = frozenset({"", "http://www.w3.org/2005/Atom"})
_ITEM_NAMES = frozenset({"item", "entry"})


@dataclass
class ItemExtras:
    """One item's extras."""

    thumbnails: list[str] = field(default_factory=list)
    media_images: list[str] = field(default_factory=list)
    media_description: str | None = None
    tags: list[str] = field(default_factory=list)
    encoded_content: str | None = None


class ItemsExtras:
    """The extras of a document's items by position (document order), each read when first
    asked for: a poll reads only its new entries'."""

    def __init__(self, items: list[Any], first: int = 0) -> None:
        self._items = items
        self._first = first
        self._read: dict[int, ItemExtras] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, position: int) -> ItemExtras:
        extras = self._read.get(position)
        if extras is None:
            extras = self._read[position] = _item_extras(self._items[position - self._first])
        return extras


def read_item_extras(body: bytes, entries: int, first: int = 0) -> ItemsExtras | None:
    """Every item's extras, in document order, the first being the document's item at
    position ``first`` (``body`` may hold only some of them); None when it does not parse
    or its items are not ``entries`` in number."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    items = [  # lxml picks the elements by local name, in document order
        element for element in root.iter(*(f"{{*}}{name}" for name in _ITEM_NAMES))
        if etree.QName(element).namespace not in _MEDIA
    ]
    if len(items) != entries:
        return None
    return ItemsExtras(items, first)


def _keywords(text: str | None) -> list[str]:
    return [term.strip() for term in (text or "").split(",")]


def _item_extras(item: Any) -> ItemExtras:
    extras = ItemExtras()
    for element in item.iter():
        if not isinstance(element.tag, str) or element is item:
            continue
        name = etree.QName(element)
        namespace, local = name.namespace or "", name.localname
        if namespace in _MEDIA:
            if local == "thumbnail":
                url = element.get("url") or (element.text or "").strip()
                if url:
                    extras.thumbnails.append(url)
            elif local == "content":
                kind = str(element.get("type", ""))
                if (element.get("medium") == "image" or kind.startswith("image/")) and (
                    url := element.get("url")
                ):
                    extras.media_images.append(url)
            elif local == "description":
                if extras.media_description is None and element.text:
                    extras.media_description = element.text.strip()
            elif local == "keywords":
                extras.tags.extend(_keywords(element.text))
            elif local == "category":
                extras.tags.append(element.get("label") or (element.text or "").strip())
        elif namespace in _ITUNES:
            if local == "keywords":
                extras.tags.extend(_keywords(element.text))
            elif local == "category":
                extras.tags.append(element.get("text") or "")
        elif local == "category" and namespace in _CATEGORY_NAMESPACES:
            extras.tags.append(
                element.get("label") or element.get("term") or (element.text or "").strip()
            )
        elif namespace == _DUBLIN_CORE and local == "subject":
            extras.tags.append((element.text or "").strip())
        elif namespace == _CONTENT and local == "encoded" and extras.encoded_content is None:
            extras.encoded_content = element.text or ""
    return extras
