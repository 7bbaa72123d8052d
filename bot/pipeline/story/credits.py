"""What a story's post says about its sources: the original, and who else reported it.

Rules: the original is the story's credited original (an article at that address, else the
publisher the copies name); "Also reported by" lists the other outlets once each, in the
order they carried it, at most ``MAX_ALSO_REPORTED`` names and a count beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.models import Story
from bot.core.text import join_within_limit, trim_text, without_invisible
from bot.discord_io import markup

MAX_ALSO_REPORTED = 5


@dataclass(frozen=True)
class StoryCredits:
    """The credits a post shows for its story."""

    original_name: str | None
    original_url: str | None
    also_reported_by: tuple[str, ...]
    more_count: int

    def also_text(self) -> str | None:
        """Return "A, B and 3 more", or None when nobody else reported it."""
        if not self.also_reported_by:
            return None
        names = ", ".join(self.also_reported_by)
        return f"{names} and {self.more_count} more" if self.more_count else names


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
    others: list[str] = []
    for source in story.sources:
        if source.feed_title not in excluded and source.feed_title not in others:
            others.append(source.feed_title)
    shown = tuple(others[:MAX_ALSO_REPORTED])
    return StoryCredits(original_name, original_url, shown, len(others) - len(shown))


def describe_story(story: Story) -> str:
    """Say every source that carried a story, with times (``/story``)."""
    main = story.main
    lines = [f"**{trim_text(main.title, 200)}** — carried by {len(story.sources)} "
             f"source{'s' if len(story.sources) != 1 else ''}:"]
    if story.original_url and story.original_url_key != main.url_key:
        publisher = publisher_name(story.original_publisher, story.original_url)
        lines.append(f"Original: {publisher} <{story.original_url}> (credited, not followed)")
    for source in story.sources:
        is_original = source.url_key is not None and source.url_key == story.original_url_key
        marker = " (original)" if is_original else ""
        where = f" <{source.url}>" if source.url else ""
        lines.append(
            f"• {trim_text(source.feed_title, 80)}{marker}: first seen "
            f"{markup.moment(source.first_seen_at)}{where}"
        )
    return join_within_limit(lines, "\n")
