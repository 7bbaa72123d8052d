"""What a story's post says about its sources: the original, and who else reported it.

Rules: the original is the story's credited original (an article at that address, else the
publisher the copies name); "Also reported by" lists the other outlets once each, in the
order they carried it, at most ``MAX_ALSO_REPORTED`` names and a count beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.models import Story
from bot.core.text import join_within_limit, plural, trim_text, without_invisible
from bot.core.urls import is_web_url
from bot.discord_io import markup
from bot.pipeline.story.lead import Lead

MAX_ALSO_REPORTED = 5


@dataclass(frozen=True)
class StoryCredits:
    """The credits a post shows for its story."""

    original_name: str | None
    original_url: str | None
    also_reported_by: tuple[str, ...]
    more_count: int
    also_urls: tuple[str | None, ...] = ()
    """The address of each name in ``also_reported_by`` (its article there), if known."""

    def also_text(self, *, linked: bool = False) -> str | None:
        """Return "A, B and 3 more", or None when nobody else reported it; ``linked`` makes
        each name a Markdown link to its article."""
        if not self.also_reported_by:
            return None
        shown = list(self.also_reported_by)
        if linked:
            shown = [
                f"[{link_text(name)}]({url})" if is_web_url(url) else name
                for name, url in zip(shown, self.also_urls, strict=False)
            ] + shown[len(self.also_urls) :]
        names = ", ".join(shown)
        return f"{names} and {self.more_count} more" if self.more_count else names


def link_text(name: str) -> str:
    """Return a name safe inside a Markdown link's brackets."""
    return name.replace("[", "(").replace("]", ")")


def host_name(url: str) -> str:
    """Return a readable publisher name from a URL's host."""
    host = (urlsplit(url).hostname or url).removeprefix("www.")
    return host


def publisher_name(credited: str | None, url: str) -> str:
    """Return the name to show for an original's publisher: the name the page credited,
    without invisible characters (a right-to-left override would reorder the line it sits
    in), else the address's host."""
    return " ".join(without_invisible(credited or "").split()) or host_name(url)


def story_credits(story: Story, posted_article_id: int) -> StoryCredits:
    """Return the credits of a story's post made from ``posted_article_id``."""
    posted = next((s for s in story.sources if s.article_id == posted_article_id), None)
    main = story.main
    original_name: str | None = None
    original_url: str | None = None
    if story.original_url_key is not None and main.url_key == story.original_url_key:
        original_name, original_url = main.feed_title, main.url
    elif story.original_url is not None:
        original_name = publisher_name(story.original_publisher, story.original_url)
        original_url = story.original_url
    if original_url is not None and posted is not None and posted.url_key == (
        story.original_url_key
    ):
        original_name = original_url = None  # the post is the original itself
    excluded = {posted.feed_title if posted else None, original_name}
    others: dict[str, str | None] = {}
    for source in story.sources:
        if source.feed_title not in excluded and source.feed_title not in others:
            others[source.feed_title] = source.url
    shown = tuple(others)[:MAX_ALSO_REPORTED]
    return StoryCredits(
        original_name, original_url, shown, len(others) - len(shown),
        tuple(others[name] for name in shown),
    )


def describe_story(story: Story, lead: Lead | None = None) -> str:
    """Say every source that carried a story, with times, and why its post leads with the
    source it does (``/story``)."""
    main = lead.source if lead is not None else story.main
    lines = [f"**{trim_text(main.title, 200)}** — carried by "
             f"{plural(len(story.sources), 'source')}:"]
    if lead is not None:
        lines.append(lead.reason)
    if story.original_url and not any(
        source.url_key == story.original_url_key for source in story.sources
    ):
        publisher = publisher_name(story.original_publisher, story.original_url)
        lines.append(f"Original: {publisher} <{story.original_url}> (credited, not followed)")
    for source in story.sources:
        is_original = source.url_key is not None and source.url_key == story.original_url_key
        marker = " (original)" if is_original else ""
        where = f" <{source.url}>" if source.url else ""
        published = (
            f", published {markup.date_time(source.published_at)}"
            if source.published_at is not None else ""
        )
        lines.append(
            f"• {trim_text(source.feed_title, 80)}{marker}: first seen "
            f"{markup.moment(source.first_seen_at)}{published}{where}"
        )
    return join_within_limit(lines, "\n")
