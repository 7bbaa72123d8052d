"""URL normalisation: the first dedupe tier (two links to the same page are the same article).

Rules applied by :func:`normalise_url` to ``http`` and ``https`` URLs (anything else, or a
string without a host, is returned stripped of surrounding whitespace and otherwise as is):

- **Scheme**: ``http`` becomes ``https``. A news page served on both is the same page, and
  feeds often still carry ``http`` links that redirect; the result is a comparison key, not
  a link to fetch.
- **Host**: lower-cased, trailing dot dropped, a leading ``www.`` dropped (every news site
  serves both names as one); user info kept out (it never identifies an article).
- **Port**: dropped when it is the default of the original scheme (80 for http, 443 for
  https); any other port is kept.
- **Path**: an empty path becomes ``/``; a trailing slash is dropped from any longer path;
  percent-escapes are upper-cased (``%2f`` and ``%2F`` are the same byte).
- **Fragment**: dropped.
- **Query**: tracking parameters dropped (``TRACKING_PARAMETERS``, and any name starting with
  one of ``TRACKING_PREFIXES``: ``utm_*``, the BBC's ``at_medium``/``at_campaign``, Matomo's
  ``pk_*``/``mtm_*``…, compared case-insensitively); every other parameter kept with its
  value, blank ones too, because ``?id=123``, ``?p=42`` or ``?story=…`` name the article;
  the kept ones are sorted by name (stable for repeated names), so their order does not
  matter.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.core.errors import InvalidInput

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ncid",
        "ocid", "wt.mc_id", "__twitter_impression", "_hsenc", "_hsmi", "mkt_tok", "oly_enc_id",
        "oly_anon_id", "vero_id", "rb_clickid", "s_cid", "spm", "xtor",
    }
)  # fmt: skip
"""Query parameter names (lower case) that only say how the reader arrived."""

TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "itm_")
"""Name prefixes of tracking parameters: Google Analytics (``utm_source``), AT Internet as
the BBC uses it in its feeds (``at_medium=RSS&at_campaign=rss``), Matomo (``pk_campaign``,
``mtm_source``) and internal-campaign tags (``itm_source``)."""

WEB_URL_LIMIT = 2048
"""Longest URL Discord accepts in a link, an embed or an image."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def is_tracking_parameter(name: str) -> bool:
    """Return whether a query parameter only tracks the reader (``utm_*``, ``fbclid``, …)."""
    lowered = name.lower()
    return lowered.startswith(TRACKING_PREFIXES) or lowered in TRACKING_PARAMETERS


def _upper_escapes(text: str) -> str:
    """Return ``text`` with every percent-escape in upper case."""
    return _PERCENT_ESCAPE.sub(lambda match: match.group(0).upper(), text)


def normalise_url(url: str) -> str:
    """Return the comparison key of an article URL (see the module rules).

    Never raises: a link that cannot be taken apart (a bad port or IPv6 bracket, a lone
    surrogate from a JSON feed…) is its own key, stripped.
    """
    stripped = url.strip()
    try:
        return _normalised(stripped)
    except ValueError:  # UnicodeError included
        return stripped


def _normalised(stripped: str) -> str:
    parts = urlsplit(stripped)
    port = parts.port
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return stripped
    host = host.removeprefix("www.")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _upper_escapes(parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_parameter(name)
    ]
    kept.sort(key=lambda pair: pair[0])
    return urlunsplit(("https", host, path, urlencode(kept), ""))


def is_web_url(url: str | None) -> bool:
    """Return whether ``url`` is an absolute http(s) URL Discord can link to."""
    return url is not None and url.startswith(("https://", "http://")) and len(url) <= WEB_URL_LIMIT


def pasted_address(text: str) -> str:
    """Return the article address a member pasted, without the spaces and ``<…>`` around it.

    Raises:
        InvalidInput: the text is not a full http(s) web address.
    """
    address = text.strip().strip("<>")
    if not is_web_url(address):
        raise InvalidInput("Give the article's full web address, starting with https://.")
    return address
