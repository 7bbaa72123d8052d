"""How an article looks in a post: one card, within every Discord size limit.

Rules: text is trimmed, never refused (title 256, description 4096, field 1024, footer 2048,
author 256, 6000 in all); a summary is cut at a sentence boundary when one is near, else at a
word, and marked with an ellipsis; only http(s) URLs become links or images; the title links
to the story's original when it has one; feed text is shown as written but never pings (the
sender allows no mentions from it). The card's timestamp shows the publication date, so no
field repeats it. A card whose post text already shows the summary (``summary=False``, see
``templates.shows_summary``) leaves its description out.

Each subscription chooses its embed's style (``EMBED_STYLES``): ``full``; ``compact``, the
linked title alone (no source line, summary, fields, footer, image or date); ``off``, no
embed at all (the post is its template, or ``TEXT_ONLY_TEMPLATE``); and the colour of its bar.
"""

from __future__ import annotations

import hashlib
import re

from bot.core.errors import InvalidInput
from bot.core.models import Article, ArticleCard, CardField
from bot.core.text import trim_text, trim_to_sentence
from bot.core.urls import is_web_url

SUMMARY_LIMIT = 350
TITLE_LIMIT = 256
AUTHOR_LIMIT = 256
FOOTER_LIMIT = 2048
FIELD_LIMIT = 1024
EMBED_STYLES = ("full", "compact", "off")
TEXT_ONLY_TEMPLATE = "**{title}**[[\n{url}]]"
"""What a post without an embed says when its subscription has no template."""
_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")


def parse_colour(text: str) -> int | None:
    """Return the colour an admin wrote (``#e67e22`` or ``e67e22``); ``default`` is None.

    Raises:
        InvalidInput: anything else.
    """
    cleaned = text.strip()
    if cleaned.lower() == "default":
        return None
    match = _HEX_COLOUR.fullmatch(cleaned)
    if match is None:
        raise InvalidInput(
            "Write the colour as six hex digits, like #e67e22, or default for Newsdesk's own."
        )
    return int(match.group(1), 16)


def post_template(template: str | None, style: str) -> str | None:
    """Return the template a post is written with: a post without an embed still names and
    links its article."""
    return template or (TEXT_ONLY_TEMPLATE if style == "off" else None)


def shown_colour(colour: int | None) -> str:
    """Return a colour as an admin writes it."""
    return "Newsdesk's own" if colour is None else f"#{colour:06x}"


def article_card(
    article: Article,
    *,
    source_name: str,
    source_url: str | None,
    original: tuple[str, str | None] | None = None,
    also_reported_by: str | None = None,
    summary: bool = True,
    style: str = "full",
    colour: int | None = None,
) -> ArticleCard:
    """Build the card posted for an article, crediting its story's original and copies, in
    the subscription's embed ``style`` and ``colour``."""
    original_url = original[1] if original is not None else None
    link = original_url if is_web_url(original_url) else article.url
    fields: list[CardField] = []
    # Discord refuses empty field values and author names: blank text never reaches it.
    if original is not None and original[0].strip():
        name, url = original[0].strip(), original[1]
        shown = f"[{trim_text(name, 200)}]({url})" if is_web_url(url) else trim_text(name, 200)
        fields.append(CardField("Originally published by", shown, inline=False))
    if also_reported_by and also_reported_by.strip():
        fields.append(
            CardField("Also reported by", trim_text(also_reported_by, FIELD_LIMIT), inline=False)
        )
    author = article.author.strip() if article.author else ""
    description = trim_to_sentence(article.summary, SUMMARY_LIMIT) or None
    title = trim_text(article.title, TITLE_LIMIT) or "(untitled)"
    if style != "full":
        return ArticleCard(
            title=title, url=link if is_web_url(link) else None, description=None,
            timestamp=None, author_name="", author_url=None, colour=colour,
            embedded=style == "compact",
        )
    return ArticleCard(
        title=title,
        url=link if is_web_url(link) else None,
        description=description if summary else None,
        timestamp=article.published_at,
        author_name=trim_text(source_name.strip() or "Feed", AUTHOR_LIMIT),
        author_url=source_url if is_web_url(source_url) else None,
        fields=tuple(fields),
        footer=trim_text(f"By {author}", FOOTER_LIMIT) if author else None,
        image_url=article.image_url if is_web_url(article.image_url) else None,
        colour=colour,
    )


def card_digest(card: ArticleCard) -> str:
    """Return a digest of everything a card shows, to tell whether an edit would change it."""
    return hashlib.sha256(repr(card).encode("utf-8")).hexdigest()[:32]
