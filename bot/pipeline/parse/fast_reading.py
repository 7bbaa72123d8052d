"""Read an RSS, Atom or RDF document's bytes with fastfeedparser, repairing what can be
repaired safely, or say that feedparser must read it.

Rules:

- fastfeedparser is only ever given ``bytes``: given a ``str`` that starts with ``http`` it
  would fetch it. Nothing here touches the network, and a DOCTYPE that declares anything
  (where entities live) sends the document to feedparser.
- fastfeedparser's native extractor reads a document only when it is well-formed UTF-8 RSS
  or Atom, and otherwise names what is wrong. A document declared in another encoding is
  transcoded to UTF-8 first; the ill-formed shapes with one safe repair (undefined HTML
  entity references, bare ``&``, control characters and references to them, bytes that are
  not the UTF-8 they claim, text after the root element, a DOCTYPE that declares nothing)
  are repaired and read again, and ``problem`` says what was wrong. RDF, which the extractor
  leaves to fastfeedparser's lxml path, is read there once lxml finds it well-formed.
  Everything else (a cut-off document, Atom 0.3, a server charset that contradicts the
  document's) is None: feedparser reads it.
- Dates: the extractor reads the common RFC 822 and ISO 8601 forms itself and hands every
  other date to ``feedparser_date``, feedparser's own date handlers (fastfeedparser's lxml
  path is pointed at it too): both paths give the same dates, and fastfeedparser's guessing
  fallbacks (dateutil, dateparser: a guid "12" became a date, a call took milliseconds)
  never run.
"""

from __future__ import annotations

import calendar
import codecs
import html
import html.entities
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import fastfeedparser
import fastfeedparser.main as fastfeedparser_main
from feedparser.datetimes import _parse_date as feedparser_parse_date
from feedparser.html import _cp1252 as feedparser_cp1252
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

__all__ = ["DocumentRead", "feedparser_date", "read_document", "synthesized_description"]

# fastfeedparser's native extractor; absent from its pure-Python wheel, and then every
# document is read by feedparser.
_native: Any = getattr(fastfeedparser_main, "_core", None)
_MAX_DATE_LENGTH = 256


@lru_cache(maxsize=4096)
def feedparser_date(text: str) -> str | None:
    """Read a date the way feedparser does; return it as an ISO 8601 UTC string, or None."""
    if not text or len(text) > _MAX_DATE_LENGTH:
        return None
    moment = feedparser_parse_date(text.strip())
    if moment is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(moment), UTC).isoformat()
    except (OverflowError, ValueError, OSError):
        return None


# fastfeedparser's lxml path looks its date reader up by this module-global name on every
# call; the native extractor is handed ``feedparser_date`` directly.
fastfeedparser_main._parse_date = feedparser_date


_SYNTHESIS_CUT = 2048
_SYNTHESIS_LENGTH = 512
_TAG = re.compile(r"<[^>]+>")


def synthesized_description(content: str) -> str:
    """The description fastfeedparser makes up from an entry's content when it has none."""
    opening = content[: _SYNTHESIS_CUT + 64]  # all it reads, when it reads it as HTML alike
    if ("<" in opening and ">" in opening) == ("<" in content and ">" in content):
        content = opening
    if _native is not None:
        return str(_native.synthesize_description(content, html.unescape)).strip()
    if "<" in content and ">" in content:  # the same steps, when the extractor is absent
        content = _TAG.sub(" ", content[:_SYNTHESIS_CUT])
        if "&" in content:
            content = html.unescape(content)
    if "  " in content or "\n" in content or "\t" in content or "\r" in content:
        return " ".join(content.split())[:_SYNTHESIS_LENGTH].strip()
    return content.strip()[:_SYNTHESIS_LENGTH].strip()


@dataclass
class DocumentRead:
    """A document as fastfeedparser read it."""

    kind: str  # "rss", "atom" or "rdf"
    body: bytes  # the bytes read (transcoded, repaired or cut)
    feed: dict[str, Any]  # fastfeedparser's feed fields
    entries: list[dict[str, Any]]  # fastfeedparser's entries, in document order
    header: bytes  # the document without its items (b"" when unknown)
    problem: str | None = None  # what was wrong with the document, if anything
    root_start: int = 0  # where the root element starts in ``body``
    encoding_is_utf8: bool = True  # the document came in UTF-8 (not transcoded into it)


_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_PROLOG_PART = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s[^>\[]*>)", re.S | re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE\s[^>\[]*>", re.I)
_TRAILER = re.compile(rb"(?:\s|<!--.*?-->)*", re.S)
_XML_DECLARATION = re.compile(rb"\s*<\?xml\s[^>]*?\?>")
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.I)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_C1_CONTROL = re.compile("[\x80-\x9f]")
# feedparser's order when the declared encoding does not decode the bytes.
_FALLBACK_ENCODINGS = ("windows-1252", "iso-8859-2")
_ROOTS = frozenset({b"rss", b"feed", b"RDF"})
_ATOM_10 = b"http://www.w3.org/2005/Atom"
_SYNTAX_REPAIRS = frozenset({"entity reference", "character reference", "control character"})
_MAX_READS = 4
_PROTECTED = re.compile(rb"(<!\[CDATA\[.*?\]\]>|<!--.*?-->)", re.S)
# A reference XML has not (to an undefined entity, or to a character it cannot hold is
# checked by the callback) or a bare ampersand; XML's own five entities are left alone.
_ODD_REFERENCE = re.compile(
    rb"&(?!(?:amp|lt|gt|quot|apos);)(?:#[xX]([0-9A-Fa-f]+);|#([0-9]+);|([A-Za-z][\w.-]*);)?"
)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def root_element(body: bytes) -> tuple[bytes, bytes, int] | None:
    """Return (prefix, local name, start) of the document's first element, past its prolog
    (a DOCTYPE that declares nothing included); None when there is none or a DOCTYPE
    declares something."""
    position = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    while (part := _PROLOG_PART.match(body, position)) is not None and part.end() > position:
        position = part.end()
    found = _ROOT_ELEMENT.match(body, body.find(b"<", position))
    if found is None:
        return None
    return found.group(1) or b"", found.group(2), found.start()


def _declared_encoding(body: bytes) -> str:
    declaration = _XML_DECLARATION.match(body, 3 if body.startswith(b"\xef\xbb\xbf") else 0)
    if declaration is None:
        return "utf-8"
    found = _DECLARED_ENCODING.search(declaration.group(0))
    return found.group(1).decode("ascii", "replace").strip().lower() if found else "utf-8"


def _with_utf8_declaration(text: str) -> bytes:
    """Encode a decoded document as UTF-8, its XML declaration saying so. C1 controls become
    the Windows-1252 characters feedparser reads them as (servers label Windows-1252 as
    ISO-8859-1)."""
    text = text.lstrip("\ufeff")
    if _C1_CONTROL.search(text):
        text = text.translate(feedparser_cp1252)
    encoded = text.encode("utf-8", "replace")
    declaration = _XML_DECLARATION.match(encoded)
    if declaration is None:
        return encoded
    return b'<?xml version="1.0" encoding="utf-8"?>' + encoded[declaration.end() :]


def _as_utf8(body: bytes, declared: str) -> bytes | None:
    """The document in UTF-8: as it is, or transcoded from its declared encoding; None when
    its bytes are not in that encoding (feedparser then guesses)."""
    if declared in _UTF8_NAMES:
        return body
    if declared.startswith("utf-16") and b"\x00" not in body[:200]:
        declared = "utf-8"  # declared UTF-16, written in UTF-8 (or ASCII)
    try:
        codecs.lookup(declared)
        return _with_utf8_declaration(body.decode(declared))
    except (LookupError, UnicodeDecodeError):
        return None


def _from_guessed_encoding(body: bytes) -> bytes | None:
    """A document whose bytes are not the UTF-8 it claims, read as feedparser's fallbacks."""
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return _with_utf8_declaration(body.decode(encoding))
        except UnicodeDecodeError:
            continue
    return None


def _repair_reference(match: re.Match[bytes]) -> bytes:
    hexadecimal, decimal, name = match.group(1), match.group(2), match.group(3)
    if name is not None:
        character = html.entities.html5.get(name.decode("ascii", "replace") + ";")
        if character is None:
            return b"&amp;" + match.group(0)[1:]
        return "".join(f"&#{ord(c)};" for c in character).encode("ascii")
    if hexadecimal is None and decimal is None:
        return b"&amp;"  # a bare ampersand
    digits = (hexadecimal or decimal).lstrip(b"0") or b"0"
    value = int(digits, 16 if hexadecimal else 10) if len(digits) <= 8 else -1
    if value in (0x9, 0xA, 0xD) or 0x20 <= value <= 0xD7FF or 0xE000 <= value <= 0x10FFFF:
        return match.group(0)
    if 0 <= value < 0x20:
        return b""  # a control character: no text keeps one
    return b"&#xFFFD;"


def _repaired_syntax(body: bytes, reason: str) -> bytes:
    """Repair what the extractor named: drop raw control characters; or, outside CDATA and
    comments, escape references to undefined entities and to characters XML has not, and
    bare ampersands."""
    if reason == "control character":
        return _CONTROL_BYTES.sub(b"", body)
    pieces = _PROTECTED.split(body)
    for position in range(0, len(pieces), 2):
        pieces[position] = _ODD_REFERENCE.sub(_repair_reference, pieces[position])
    return b"".join(pieces)


def _is_well_formed(body: bytes) -> bool:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return False
    return True


def _server_charset(content_type: str | None) -> str | None:
    found = _CHARSET.search(content_type or "")
    return found.group(1).lower() if found else None


def _prepared(
    body: bytes, content_type: str | None
) -> tuple[bytes, bytes, str | None, bool] | None:
    """The document in UTF-8 (ending where its root element ends, or in whitespace after
    it), its root element's name, what was wrong with it, and whether it came in UTF-8; None
    when it is no document for fastfeedparser (see the rules)."""
    root = root_element(body)
    if root is None or root[0] not in (b"", b"rdf:") or root[1] not in _ROOTS:
        return None
    prefix, name, start = root
    if name == b"feed" and _ATOM_10 not in body[start : start + 4096]:
        return None  # Atom 0.3: feedparser knows its modes
    close = body.rfind(b"</" + prefix + name)
    close_end = body.find(b">", close) + 1 if close > start else 0
    if close_end <= 0:
        return None  # cut off: feedparser says where it stopped
    problem = None
    trailer = _TRAILER.match(body, close_end)
    if trailer is None or trailer.end() != len(body):
        problem = "the document is not well-formed (text after the root element)"
    if body[close_end:].strip():  # (only a document's closing whitespace is not copied)
        body = body[:close_end]
    if start > 0 and (doctype := _DOCTYPE.search(body, 0, start)) is not None:
        body = body[: doctype.start()] + body[doctype.end() :]
    declared = _declared_encoding(body)
    server = _server_charset(content_type)
    if server is not None and server != declared and not (
        server in _UTF8_NAMES and declared in _UTF8_NAMES
    ):
        return None
    utf8 = _as_utf8(body, declared)
    if utf8 is None:
        return None
    # The extractor misplaces the header it hands back by the length of a byte order mark.
    return (utf8.removeprefix(b"\xef\xbb\xbf"), name, problem, utf8 is body)


def _extract(body: bytes) -> tuple[str, bytes, list[dict[str, Any]]] | str:
    """Run the native extractor: (kind, header, entries), or why it would not."""
    result = _native.parse_entries(
        body, fastfeedparser.FastFeedParserDict, feedparser_date, html.unescape,
        True, True, True, True,
    )
    if isinstance(result, str):
        return result
    kind, _namespace, header, entries = result
    return str(kind), bytes(header), list(entries)


def _read_rdf(body: bytes, problem: str | None, utf8: bool) -> DocumentRead | None:
    """RDF, which the native extractor leaves to fastfeedparser's lxml path."""
    if not _is_well_formed(body):
        return None
    try:
        result = fastfeedparser.parse(body)
    except Exception:  # noqa: BLE001 - any refusal hands the document to feedparser
        return None
    return DocumentRead(
        "rdf", body, dict(result.get("feed") or {}), list(result.get("entries") or []), b"",
        problem, encoding_is_utf8=utf8,
    )


_ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
_ATOM = "{" + _ATOM_NAMESPACE + "}"


def _text(element: Any) -> str | None:
    return element.text.strip() or None if element is not None and element.text else None


def _feed_fields(header: bytes, kind: str) -> dict[str, Any] | None:
    """The feed's title, links, id and pictures from the document without its items, as
    fastfeedparser names them; None when lxml cannot read it."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(header, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    channel = root.find("channel") if kind == "rss" else root
    if channel is None:
        return None
    fields: dict[str, Any] = {
        "links": [
            {"rel": link.get("rel"), "type": link.get("type"), "href": href.strip()}
            for link in channel.iterchildren(_ATOM + "link")
            if (href := link.get("href") or link.get("link"))
        ]
    }
    if kind == "rss":
        fields["title"] = _text(channel.find("title")) or _text(channel.find(_ATOM + "title"))
        fields["link"] = _text(channel.find("link"))
        image = channel.find("image")
        if image is not None and (url := _text(image.find("url"))):
            fields["image"] = {"url": url}
        alternate = next(
            (link["href"] for link in fields["links"] if link["rel"] == "alternate"), None
        )
        fields["link"] = alternate or fields["link"]
    else:
        fields["title"] = _text(channel.find(_ATOM + "title"))
        fields["id"] = _text(channel.find(_ATOM + "id"))
        fields["icon"] = _text(channel.find(_ATOM + "icon"))
        fields["logo"] = _text(channel.find(_ATOM + "logo"))
    return fields


def _read(body: bytes, root: bytes, problem: str | None, utf8: bool) -> DocumentRead | None:
    for _ in range(_MAX_READS):
        extracted = _extract(body)
        if not isinstance(extracted, str):
            kind, header, entries = extracted
            feed = _feed_fields(header, kind)
            if feed is None:
                return None
            return DocumentRead(
                kind, body, feed, entries, header, problem, encoding_is_utf8=utf8
            )
        if extracted == "invalid utf-8":
            guessed = _from_guessed_encoding(body)
            if guessed is None:
                return None
            body, utf8 = guessed, False
        elif extracted in _SYNTAX_REPAIRS:
            repaired = _repaired_syntax(body, extracted)
            if repaired == body:
                return None
            body, problem = repaired, f"the document is not well-formed ({extracted})"
        elif root == b"RDF" and extracted == "root element":
            return _read_rdf(body, problem, utf8)
        else:
            return None
    return None


def read_document(body: bytes, content_type: str | None) -> DocumentRead | None:
    """Read RSS, Atom or RDF with fastfeedparser (see the rules); None when feedparser must."""
    if not isinstance(body, bytes):  # a str could be a URL fastfeedparser would fetch
        raise TypeError("read_document reads bytes only")
    if _native is None:
        return None
    prepared = _prepared(body, content_type)
    if prepared is None:
        return None
    utf8, root, problem, as_sent = prepared
    read = _read(utf8, root, problem, as_sent)
    if read is not None:
        found = root_element(read.body)
        read.root_start = found[2] if found is not None else 0
    return read

