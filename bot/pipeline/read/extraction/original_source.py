"""Original source: when a page republishes another publisher's article, credit it.

Rules, strongest first:

1. a credit link: a link whose text is a credit ("Source link", "Source", "Original
   article", "Read the full article at ...", "View original") or whose block says
   "Source:", "Originally published at/on/by/in", "First published", "appeared first on",
   "Read the full article at" (the link text is then the publisher when it reads as a
   name); the link must leave the page's own site and not go to a social network;
2. ``rel=canonical`` or ``og:url`` on another site than the page's address;
3. a text line "Originally published at https://..." or "Source: Publisher Name".

The publisher's name is, in order: the credit's own words (link text that is a name, or
the words after "Source:"), the name of a well-known news host ("South China Morning
Post" for scmp.com), else the host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.pipeline.read.extraction.page import PageLink, PageMarkup

SOCIAL_HOSTS = (
    "facebook.com", "twitter.com", "x.com", "t.co", "whatsapp.com", "wa.me", "linkedin.com",
    "pinterest.com", "reddit.com", "telegram.me", "t.me", "tumblr.com", "instagram.com",
    "youtube.com", "plus.google.com", "vk.com", "xing.com", "flipboard.com", "getpocket.com",
    "gravatar.com", "wordpress.org", "wordpress.com", "addtoany.com", "sharethis.com",
)  # fmt: skip
KNOWN_PUBLISHERS = {
    "scmp.com": "South China Morning Post",
    "ft.com": "Financial Times",
    "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post",
    "wsj.com": "The Wall Street Journal",
    "theguardian.com": "The Guardian",
    "bbc.co.uk": "BBC News",
    "bbc.com": "BBC News",
    "reuters.com": "Reuters",
    "apnews.com": "Associated Press",
    "bloomberg.com": "Bloomberg",
    "economist.com": "The Economist",
    "cnn.com": "CNN",
    "aljazeera.com": "Al Jazeera",
    "theconversation.com": "The Conversation",
    "spiegel.de": "Der Spiegel",
    "zeit.de": "Die Zeit",
    "faz.net": "Frankfurter Allgemeine Zeitung",
    "sueddeutsche.de": "Süddeutsche Zeitung",
    "lemonde.fr": "Le Monde",
    "elpais.com": "El País",
    "nikkei.com": "Nikkei",
    "asia.nikkei.com": "Nikkei Asia",
    "japantimes.co.jp": "The Japan Times",
    "straitstimes.com": "The Straits Times",
    "globaltimes.cn": "Global Times",
    "rferl.org": "Radio Free Europe/Radio Liberty",
    "politico.com": "Politico",
    "politico.eu": "Politico Europe",
    "euronews.com": "Euronews",
    "dw.com": "Deutsche Welle",
    "npr.org": "NPR",
    "independent.co.uk": "The Independent",
    "telegraph.co.uk": "The Telegraph",
    "thetimes.co.uk": "The Times",
}
_CREDIT_LINK_TEXT = re.compile(
    r"^(?:source(?: link)?|original(?: article| story| post| source)?|view original|"
    r"read (?:the )?(?:full|original|whole|rest of the) (?:article|story|post).*|"
    r"continue reading.*|read more at .*)$",
    re.IGNORECASE,
)
_CREDIT_CONTEXT = re.compile(
    r"(?:^|\b)(?:(?:source|quelle|fuente)\s*:|"
    r"originally (?:published|posted|appeared)(?: at| on| by| in)?|"
    r"first (?:published|appeared)(?: at| on| by| in)?|appeared first on|"
    r"read the (?:full|original) (?:article|story)(?: at| on)?|republished (?:from|with)\b)",
    re.IGNORECASE,
)
_TEXT_URL_CREDIT = re.compile(
    r"^(?:originally (?:published|posted|appeared)|first (?:published|appeared)|"
    r"read the (?:full|original) (?:article|story)|source)\s*(?:at|on|in|:)?\s*(?P<url>https?://\S+?)[.)]?$",
    re.IGNORECASE,
)
_TEXT_NAME_CREDIT = re.compile(r"^(?:source|quelle|fuente)\s*:\s*(?P<name>[^.:!?]{2,60})$", re.I)


@dataclass(frozen=True)
class OriginalSource:
    """The original article's address and its publisher's name."""

    url: str | None
    publisher: str | None


def site_of(url: str | None) -> str | None:
    """Return the host of ``url`` without ``www.``, lower-cased; None when there is none."""
    if not url:
        return None
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    return host.removeprefix("www.") or None


def _same_site(host: str, other: str) -> bool:
    return host == other or host.endswith("." + other) or other.endswith("." + host)


def _is_social(host: str) -> bool:
    return any(_same_site(host, social) for social in SOCIAL_HOSTS)


def publisher_for_host(host: str) -> str:
    """Return the readable name of a well-known news host, else the host itself."""
    for known, name in KNOWN_PUBLISHERS.items():
        if host == known or host.endswith("." + known):
            return name
    return host


def _reads_as_name(text: str) -> bool:
    if not text or len(text) > 60 or _CREDIT_LINK_TEXT.match(text) or "://" in text:
        return False
    words = text.split()
    return len(words) <= 7 and text[0].isupper() and text.lower() not in {"here", "link"}


def _credit_link(links: tuple[PageLink, ...], home: str | None) -> OriginalSource | None:
    best: tuple[int, OriginalSource] | None = None
    for link in links:
        host = site_of(link.href)
        if host is None or (home and _same_site(host, home)) or _is_social(host):
            continue
        text = link.text.strip()
        if _CREDIT_LINK_TEXT.match(text):
            strength = 2
        elif _CREDIT_CONTEXT.search(link.block_text) and len(link.block_text) < 300:
            strength = 1
        else:
            continue
        publisher = text if _reads_as_name(text) else publisher_for_host(host)
        candidate = OriginalSource(link.href, publisher)
        if best is None or strength > best[0]:
            best = (strength, candidate)
    return None if best is None else best[1]


def _text_credit(paragraphs: tuple[str, ...]) -> OriginalSource | None:
    for paragraph in reversed(paragraphs):
        line = " ".join(paragraph.split())
        by_url = _TEXT_URL_CREDIT.match(line)
        if by_url:
            url = by_url["url"]
            return OriginalSource(url, publisher_for_host(site_of(url) or url))
        by_name = _TEXT_NAME_CREDIT.match(line)
        if by_name:
            return OriginalSource(None, by_name["name"].strip())
    return None


def find_original_source(
    markup: PageMarkup, page_url: str | None, paragraphs: tuple[str, ...]
) -> OriginalSource:
    """Return the original article this page republishes, or an empty source."""
    declared = markup.canonical or markup.meta.get("og:url")
    home = site_of(page_url) or site_of(declared)
    credit = _credit_link(markup.links, home)
    if credit is not None:
        return credit
    for candidate in (markup.canonical, markup.meta.get("og:url")):
        host = site_of(candidate)
        if candidate and host and home and not _same_site(host, home):
            return OriginalSource(candidate, publisher_for_host(host))
    from_text = _text_credit(paragraphs)
    return from_text if from_text is not None else OriginalSource(None, None)
