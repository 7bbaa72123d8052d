"""Post templates: the text a server puts above each post of a subscription.

Rules:
- Placeholders are ``{title}``, ``{url}``, ``{summary}``, ``{source}``, ``{author}``,
  ``{published}`` (a Discord timestamp), ``{original}`` (the original publisher, when the
  article is a republication), ``{image}`` (the article's image address, which Discord shows
  as a picture when the embed is off), ``{categories}`` (the feed's categories of the item,
  comma-separated) and the raw feed fields ``{feed.title}``, ``{feed.url}``, ``{feed.link}``;
  ``{{`` and ``}}`` are literal braces. Anything else in braces
  (attribute or index access, format specs, conversions) is refused when the template is
  saved, with a sentence naming the problem. Rendering looks each name up in a table of
  strings, never ``str.format``, so no template reaches a Python attribute.
- ``[[ … ]]`` is a conditional section: it is shown only when every placeholder inside it has
  a value, so ``{title}[[ (by {author})]]`` never leaves "(by )". Sections do not nest.
- A template that shows ``{summary}`` takes the summary out of the embed (``shows_summary``),
  so a post never says it twice.
- A rendered template is trimmed to Discord's 2,000 characters; mentions in it never ping
  (``allowed_mentions`` stays explicit), whoever wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from bot.core.errors import InvalidInput
from bot.core.models import Article
from bot.core.text import MESSAGE_LIMIT, trim_text
from bot.core.urls import is_web_url
from bot.discord_io import markup

FEED_FIELDS = ("title", "url", "link")
"""The raw feed fields a template may show as ``{feed.<field>}``: the feed's own title, its
address and its site's address (a fixed list: nothing else of the feed is reachable)."""
PLACEHOLDERS = (
    "title", "url", "summary", "source", "author", "published", "original", "image",
    "categories", *(f"feed.{name}" for name in FEED_FIELDS),
)
MAX_TEMPLATE_LENGTH = 1000
READY_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Headline", "📰 **{title}**[[ — {source}]]"),
    ("Byline and date", "**{title}**[[ by {author}]][[ · {published}]]"),
    ("Summary as text", "**{title}**[[\n{summary}]]"),
    ("Link for the preview", "{title}[[\n{url}]]"),
)
"""Templates an admin picks from the /feed template menu: (name, template)."""
TEST_POST_HEADING = "Test post:"


@dataclass(frozen=True)
class TemplateValues:
    """What the placeholders stand for in one post."""

    title: str
    url: str
    summary: str
    source: str
    author: str
    published: str
    original: str
    image: str = ""
    categories: str = ""
    feed: tuple[str, str, str] = ("", "", "")
    """The feed's own title, address and site address (``FEED_FIELDS``)."""

    @classmethod
    def of(
        cls, article: Article, source: str, original: str | None,
        feed: tuple[str, str | None, str | None] | None = None,
    ) -> TemplateValues:
        """Collect the placeholder values of an article (``feed``: the feed's title, address
        and site address)."""
        feed_title, feed_url, feed_link = feed if feed is not None else (source, None, None)
        return cls(
            title=article.title,
            url=article.url or "",
            summary=trim_text(article.summary, 600),
            source=source,
            author=article.author or "",
            published=markup.moment(article.published_at) if article.published_at else "",
            original=original or "",
            image=article.image_url if is_web_url(article.image_url) and article.image_url
            else "",
            categories=", ".join(article.categories),
            feed=(
                feed_title, feed_url if is_web_url(feed_url) and feed_url else "",
                feed_link if is_web_url(feed_link) and feed_link else "",
            ),
        )

    def table(self) -> dict[str, str]:
        """Return each placeholder's text, by name: names are looked up here, never as
        attributes of anything."""
        return {
            "title": self.title, "url": self.url, "summary": self.summary,
            "source": self.source, "author": self.author, "published": self.published,
            "original": self.original, "image": self.image, "categories": self.categories,
            **{f"feed.{name}": value for name, value in zip(FEED_FIELDS, self.feed, strict=True)},
        }


SECTION_OPEN = "[["
SECTION_CLOSE = "]]"


def template_sections(template: str) -> list[tuple[str, bool]]:
    """Split a template into its parts, each with whether it is a conditional section.

    Raises:
        InvalidInput: a section that is not closed, a ``]]`` without ``[[``, or a section
        inside another.
    """
    sections: list[tuple[str, bool]] = []
    rest = template
    while rest:
        start, stray_close = rest.find(SECTION_OPEN), rest.find(SECTION_CLOSE)
        if stray_close != -1 and (start == -1 or stray_close < start):
            raise InvalidInput(
                "The template has a ]] without its [[. Sections look like [[by {author}]]."
            )
        if start == -1:
            sections.append((rest, False))
            break
        end = rest.find(SECTION_CLOSE, start + len(SECTION_OPEN))
        if end == -1:
            raise InvalidInput(
                "The template has a [[ without its ]]. Sections look like [[by {author}]]."
            )
        inner = rest[start + len(SECTION_OPEN):end]
        if SECTION_OPEN in inner:
            raise InvalidInput("Sections cannot be nested: close each [[ with ]] before the next.")
        if start:
            sections.append((rest[:start], False))
        sections.append((inner, True))
        rest = rest[end + len(SECTION_CLOSE):]
    return sections


def _parts(text: str) -> list[tuple[str, str | None]]:
    """Split text into literal text and placeholder names (braces already checked)."""
    return [(literal, field) for literal, field, _spec, _conv in Formatter().parse(text)]


def validate_template(template: str) -> str:
    """Return the template to store, or refuse one that cannot be rendered.

    Raises:
        InvalidInput: an unknown placeholder, a format spec, an unbalanced brace or section,
        too long.
    """
    cleaned = template.strip()
    if not cleaned:
        raise InvalidInput("The template is empty. Use placeholders such as {title} and {url}.")
    if len(cleaned) > MAX_TEMPLATE_LENGTH:
        raise InvalidInput(f"Templates are at most {MAX_TEMPLATE_LENGTH} characters.")
    for text, _conditional in template_sections(cleaned):
        try:
            parts = list(Formatter().parse(text))
        except ValueError:
            raise InvalidInput(
                "The template has an unmatched { or }. Write {{ or }} for a literal brace."
            ) from None
        for _literal, field, spec, conversion in parts:
            if field is None:
                continue
            if field not in PLACEHOLDERS:
                raise InvalidInput(
                    f"{{{field}}} is not a placeholder. Use: "
                    + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS) + "."
                )
            if spec or conversion:
                raise InvalidInput(f"Write {{{field}}} on its own, without ! or : after it.")
    return cleaned


def shows_summary(template: str | None) -> bool:
    """Tell whether a (validated) template shows the summary, which the embed then leaves out."""
    if not template:
        return False
    return any(
        field == "summary"
        for text, _conditional in template_sections(template)
        for _literal, field in _parts(text)
    )


def render_template(template: str, values: TemplateValues) -> str:
    """Fill a validated template, trimmed to one message; a section whose placeholders are
    not all filled is left out."""
    table = values.table()
    rendered: list[str] = []
    for text, conditional in template_sections(template):
        parts = _parts(text)
        if conditional and any(
            field is not None and not table.get(field, "").strip() for _literal, field in parts
        ):
            continue
        for literal, field in parts:
            rendered.append(literal)
            if field is not None:
                rendered.append(table.get(field, ""))
    return trim_text("".join(rendered).strip(), MESSAGE_LIMIT)


def post_content(
    template: str | None, ping_role_id: int | None, values: TemplateValues
) -> str | None:
    """Return the text above a post's embed: the role to ping, then the filled template."""
    parts: list[str] = []
    if ping_role_id is not None:
        parts.append(f"{markup.role(ping_role_id)}")
    if template:
        parts.append(render_template(template, values))
    return trim_text(" ".join(parts), MESSAGE_LIMIT) if parts else None
