"""Cleaning beyond trafilatura: drop the junk auto-blogs leave inside the main text.

A paragraph is removed only when the whole paragraph is junk; a sentence is never cut.

Rules (each paragraph is tested alone, whitespace collapsed):

- boilerplate lines, matched on the whole line and only when short: sign-offs and credits
  ("Source link", "By admin"), comment forms ("Leave a Reply", "Your email address will not
  be published"), related-content headers and their single links ("Related Posts",
  "Read also: ..."), share bars ("Share this:", "Facebook Twitter WhatsApp"), navigation,
  tag lists, advertising labels, newsletter prompts, image toggles ("hide caption");
- lines that are only a date or a time (a site-header "today" widget, a dateline); those
  among the first three paragraphs are also reported as widget dates, so the date step
  can refuse them;
- photo captions recognised by their credit (``©``, "Photo: ...", "via Getty Images",
  "/ Reuters", ...), and an unpunctuated line that repeats such a caption nearby;
- a second copy of the title line, and a second copy of a short unpunctuated line (the
  first is kept: the evaluation set counts a headline printed in the body as main text,
  and dropping it there lost must-have snippets);
- a generic byline ("By admin") anywhere, and a personal byline ("By Jane Doe") among the
  first three paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.pipeline.read.extraction.authors import is_generic_author
from bot.pipeline.read.extraction.dates import parse_standalone_date

SHORT_LINE = 160
CAPTION_MAX = 260
CREDIT_TAIL = 90
HEAD_PARAGRAPHS = 3
CAPTION_OVERLAP = 0.6
CAPTION_NEIGHBOURHOOD = 3

_BOILERPLATE = re.compile(
    r"^(?:"
    r"source(?: link)?|original source|view original|"
    r"read (?:the )?(?:full|original|whole) (?:article|story|post)(?: (?:at|on|here))?.{0,60}|"
    r"continue reading.{0,60}|read more(?: here)?|"
    r"leave a (?:reply|comment)(?: cancel reply)?|post a comment|add (?:a )?comment|"
    r"write a comment|(?:view|show|load|hide) (?:all )?comments?|\d+ comments?|"
    r"comments?(?: \(\d+\))?|"
    r"your email address will not be published\b.*|required fields are marked.*|"
    r"save my name, email.*|cancel reply|"
    r"related (?:posts?|articles?|stories|news|content|topics)|you (?:may|might) also like|"
    r"recommended(?: for you| stories| articles)?|more (?:from|on|stories|news)\b.{0,40}|"
    r"(?:read|see) also:?.{0,120}|also read:?.{0,120}|"
    r"(?:lea|lee) también:?.{0,160}|notas relacionadas|te puede interesar.{0,120}|"
    r"mehr zum thema:?.{0,80}|mehr themen:?|weitere (?:artikel|themen|beiträge|nachrichten):?|"
    r"das könnte sie (?:auch )?interessieren:?|(?:à )?lire aussi:?.{0,120}|"
    r"czytaj (?:także|też|również):?.{0,120}|zobacz (?:także|też):?.{0,120}|"
    r"share(?: this| this article| this story| this post| on \w+| via \w+)?:?|"
    r"click to (?:share|email|print) .{0,60}|like this:?|like loading\.*|loading\.*|"
    r"tweet|pin it|email this|print(?: this)?(?: article| page)?|"
    r"(?:artikel )?teilen|partager|compartir|condividi|udostępnij|"
    r"post navigation|(?:« )?previous (?:post|article|story)\b.{0,100}|"
    r"next (?:post|article|story)\b.{0,100}|"
    r"tags?:.{0,100}|filed under:?.{0,100}|categories:.{0,100}|posted in .{0,80}|"
    r"advertisement|advertising|anzeige\b.{0,80}|werbung|publicidad|publicité|reklama|"
    r"sponsored(?: content)?|ad|"
    r"(?:sign up|subscribe|join|get)\b.{0,80}\b(?:newsletter|inbox|subscription)\b.{0,40}|"
    r"subscribe now\b.{0,80}|"
    r"bild anzeigen|view image|enlarge (?:this )?image|toggle caption|hide caption|"
    r"(?:image|photo) source, .{0,80}|"
    r"(?:copyright )?(?:©|\(c\)|copyright).{0,80}all rights reserved\.?|"
    r"all rights reserved\.?"
    r")$",
    re.IGNORECASE,
)
_SOCIAL_WORDS = frozenset(
    [
        "facebook",
        "twitter",
        "x",
        "whatsapp",
        "email",
        "e-mail",
        "mail",
        "linkedin",
        "pinterest",
        "reddit",
        "telegram",
        "print",
        "copy",
        "link",
        "messenger",
        "share",
        "tumblr",
        "pocket",
        "flipboard",
        "xing",
        "threads",
        "bluesky",
        "sms",
        "mastodon",
        "vk",
    ]
)
_BYLINE = re.compile(r"^(?:posted by|written by|by|von|par|por)\s+(?P<name>.{1,60})$", re.I)
_PERSONAL_BYLINE_NAME = re.compile(r"^[A-ZÀ-Þ][\w'’.-]+(?:\s+(?:and\s+)?[A-ZÀ-Þ][\w'’.-]+){0,4}$")
_TIME_ONLY = re.compile(r"^\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:Uhr|[A-Z]{2,4}))?$", re.I)
_CREDIT = re.compile(
    r"(?:©|\(c\)\s|\b(?:photo|photograph|image|picture|foto|bild|credit|quelle)s?"
    r"(?:\s+by)?\s*:\s*\S|\((?:photo|image|foto|picture)s?\s+by\b|\bvia getty images\b|"
    r"\bgetty images\b|\bshutterstock\b|\b(?:/|\|)\s*(?:afp|reuters|ap|epa|dpa|xinhua|ap photo)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CLOSING = tuple(".!?:;\"'”’»)…")


@dataclass(frozen=True)
class CleanedText:
    """Paragraphs kept, and the dates that header widgets printed at the top."""

    paragraphs: tuple[str, ...]
    widget_dates: tuple[date, ...]


def _normal(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").split()).casefold()


def _words(text: str) -> set[str]:
    return {word.casefold() for word in _WORD.findall(text)}


def is_boilerplate(paragraph: str) -> bool:
    """Return True when the whole paragraph is a sign-off, share, comment or link line."""
    line = " ".join(paragraph.split())
    if len(line) > SHORT_LINE * 2:
        return False
    if len(line) <= SHORT_LINE and _BOILERPLATE.match(line.strip(" *|•·-–—")):
        return True
    tokens = [token.strip(":|•·,") for token in line.casefold().split()]
    tokens = [token for token in tokens if token]
    if tokens and len(tokens) <= 12 and all(token in _SOCIAL_WORDS for token in tokens):
        return True
    byline = _BYLINE.match(line)
    return bool(byline and is_generic_author(byline["name"]))


def is_caption_with_credit(paragraph: str) -> bool:
    """Return True when the paragraph is a short photo caption carrying a credit."""
    line = " ".join(paragraph.split())
    if len(line) > CAPTION_MAX:
        return False
    match = _CREDIT.search(line)
    if match is None:
        return False
    # A credit closes a caption; in an article sentence, more words would follow it.
    return len(line) - match.start() <= CREDIT_TAIL


def _is_unpunctuated_short(paragraph: str) -> bool:
    line = paragraph.strip()
    return len(line) <= CAPTION_MAX and not line.endswith(_CLOSING)


def _repeats(words: set[str], caption_words: set[str]) -> bool:
    if not words or not caption_words:
        return False
    shared = len(words & caption_words)
    return shared / min(len(words), len(caption_words)) >= CAPTION_OVERLAP


def _is_personal_byline(paragraph: str) -> bool:
    match = _BYLINE.match(" ".join(paragraph.split()))
    return bool(match and _PERSONAL_BYLINE_NAME.match(match["name"].strip(" ,|")))


def clean_paragraphs(paragraphs: tuple[str, ...], title: str | None = None) -> CleanedText:
    """Return ``paragraphs`` without junk, and the widget dates seen at the top."""
    title_key = _normal(title) if title else None
    captions: list[tuple[int, set[str]]] = []
    widget_dates: list[date] = []
    keep: list[bool] = []
    seen_short: set[str] = set()
    title_seen = False
    for index, paragraph in enumerate(paragraphs):
        line = " ".join(paragraph.split())
        standalone = parse_standalone_date(line)
        if standalone is not None:
            if index < HEAD_PARAGRAPHS:
                widget_dates.append(standalone)
            keep.append(False)
            continue
        if is_caption_with_credit(line):
            captions.append((index, _words(_CREDIT.split(line)[0])))
            keep.append(False)
            continue
        is_title = title_key is not None and _normal(line) == title_key
        drop = (
            is_boilerplate(line)
            or bool(_TIME_ONLY.match(line))
            or (title_key is not None and _normal(line) == title_key and title_seen)
            or (index < HEAD_PARAGRAPHS and _is_personal_byline(line))
        )
        title_seen = title_seen or is_title
        if not drop and _is_unpunctuated_short(line):
            key = _normal(line)
            drop = key in seen_short
            seen_short.add(key)
        keep.append(not drop)
    for index, paragraph in enumerate(paragraphs):
        if keep[index] and _is_unpunctuated_short(paragraph):
            words = _words(paragraph)
            near = (
                caption_words
                for caption_index, caption_words in captions
                if abs(caption_index - index) <= CAPTION_NEIGHBOURHOOD
            )
            if any(_repeats(words, caption_words) for caption_words in near):
                keep[index] = False
    kept = tuple(paragraph for paragraph, wanted in zip(paragraphs, keep, strict=True) if wanted)
    return CleanedText(kept, tuple(widget_dates))
