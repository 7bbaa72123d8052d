"""Post templates: the text a server puts above each post of a subscription.

Rules:
- Placeholders are ``{title}``, ``{url}``, ``{summary}``, ``{source}``, ``{author}``,
  ``{published}`` (a Discord timestamp) and ``{original}`` (the original publisher, when the
  article is a republication); ``{{`` and ``}}`` are literal braces. Anything else in braces
  (attribute or index access, format specs, conversions) is refused when the template is
  saved, with a sentence naming the problem.
- A rendered template is trimmed to Discord's 2,000 characters; mentions in it never ping
  (``allowed_mentions`` stays explicit), whoever wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from bot.core.errors import InvalidInput
from bot.core.models import Article
from bot.core.text import MESSAGE_LIMIT, trim_text
from bot.discord_io import markup

PLACEHOLDERS = ("title", "url", "summary", "source", "author", "published", "original")
MAX_TEMPLATE_LENGTH = 1000


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

    @classmethod
    def of(cls, article: Article, source: str, original: str | None) -> TemplateValues:
        """Collect the placeholder values of an article."""
        return cls(
            title=article.title,
            url=article.url or "",
            summary=trim_text(article.summary, 600),
            source=source,
            author=article.author or "",
            published=markup.moment(article.published_at) if article.published_at else "",
            original=original or "",
        )


def validate_template(template: str) -> str:
    """Return the template to store, or refuse one that cannot be rendered.

    Raises:
        InvalidInput: an unknown placeholder, a format spec, an unbalanced brace, too long.
    """
    cleaned = template.strip()
    if not cleaned:
        raise InvalidInput("The template is empty. Use placeholders such as {title} and {url}.")
    if len(cleaned) > MAX_TEMPLATE_LENGTH:
        raise InvalidInput(f"Templates are at most {MAX_TEMPLATE_LENGTH} characters.")
    try:
        parts = list(Formatter().parse(cleaned))
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


def render_template(template: str, values: TemplateValues) -> str:
    """Fill a validated template, trimmed to one message."""
    rendered = template.format(**{name: getattr(values, name) for name in PLACEHOLDERS})
    return trim_text(rendered, MESSAGE_LIMIT)


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
