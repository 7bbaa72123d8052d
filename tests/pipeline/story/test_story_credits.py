"""The credits on a story's post (the original, who else reported it) and what /story says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.models import Story, StorySource
from bot.pipeline.story.credits import (
    MAX_ALSO_REPORTED,
    StoryCredits,
    describe_story,
    story_credits,
)

SEEN = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def source(
    article_id: int, feed_title: str, *, key: str | None = None, url: str | None = None
) -> StorySource:
    url = url if url is not None else (f"https://{key}" if key else None)
    return StorySource(
        article_id=article_id, title=f"Bridge opens ({feed_title})", url=url, url_key=key,
        feed_title=feed_title, feed_site_url=None,
        first_seen_at=SEEN + timedelta(minutes=article_id), published_at=None,
        original_url=None,
    )


def story(
    *sources: StorySource, original_key: str | None = None, original_url: str | None = None,
    publisher: str | None = None,
) -> Story:
    return Story(
        id=1, original_url_key=original_key, original_url=original_url,
        original_publisher=publisher, sources=sources,
    )


def test_a_lone_article_credits_nobody() -> None:
    credits = story_credits(story(source(1, "Daily")), 1)
    assert credits == StoryCredits(None, None, (), 0)
    assert credits.also_text() is None


def test_the_others_are_listed_once_each_in_the_order_they_carried_it() -> None:
    carried = story(
        source(1, "Daily"), source(2, "Wire"), source(3, "Herald"), source(4, "Wire"),
    )
    credits = story_credits(carried, 1)
    assert credits.original_name is None
    assert credits.also_reported_by == ("Wire", "Herald")
    assert credits.also_text() == "Wire, Herald"


def test_past_five_names_the_rest_is_a_count() -> None:
    names = [f"Outlet {n}" for n in range(8)]
    carried = story(*(source(n + 1, name) for n, name in enumerate(names)))
    credits = story_credits(carried, 1)
    assert MAX_ALSO_REPORTED == 5
    assert credits.also_reported_by == tuple(names[1:6])
    assert credits.more_count == 2
    assert credits.also_text() == "Outlet 1, Outlet 2, Outlet 3, Outlet 4, Outlet 5 and 2 more"


def test_a_followed_original_is_credited_by_its_feed_and_left_out_of_the_others() -> None:
    carried = story(
        source(1, "Copycat", key="copy.example/a"),
        source(2, "Wire", key="wire.example/story"),
        source(3, "Herald", key="herald.example/b"),
        original_key="wire.example/story", original_url="https://wire.example/story",
    )
    credits = story_credits(carried, 1)
    assert (credits.original_name, credits.original_url) == ("Wire", "https://wire.example/story")
    assert credits.also_reported_by == ("Herald",)


def test_the_post_of_the_original_itself_credits_no_original() -> None:
    carried = story(
        source(1, "Copycat", key="copy.example/a"),
        source(2, "Wire", key="wire.example/story"),
        original_key="wire.example/story", original_url="https://wire.example/story",
    )
    credits = story_credits(carried, 2)
    assert (credits.original_name, credits.original_url) == (None, None)
    assert credits.also_reported_by == ("Copycat",)


def test_an_original_nobody_follows_is_named_by_its_publisher_else_its_host() -> None:
    named = story(
        source(1, "Copycat", key="copy.example/a"),
        original_key="agency.example/x", original_url="https://www.agency.example/x",
        publisher="  Agency\u202e  Press ",
    )
    assert story_credits(named, 1).original_name == "Agency Press"
    unnamed = story(
        source(1, "Copycat", key="copy.example/a"),
        original_key="agency.example/x", original_url="https://www.agency.example/x",
    )
    credits = story_credits(unnamed, 1)
    assert (credits.original_name, credits.original_url) == (
        "agency.example", "https://www.agency.example/x",
    )


def test_describe_story_lists_every_source_with_its_time_and_marks_the_original() -> None:
    carried = story(
        source(1, "Copycat", key="copy.example/a"),
        source(2, "Wire", key="wire.example/story"),
        source(3, "Herald", url=""),
        original_key="wire.example/story", original_url="https://wire.example/story",
    )
    first_seen = int((SEEN + timedelta(minutes=1)).timestamp())
    assert describe_story(carried).splitlines() == [
        "**Bridge opens (Wire)** — carried by 3 sources:",
        f"• Copycat: first seen <t:{first_seen}:f> (<t:{first_seen}:R>) <https://copy.example/a>",
        f"• Wire (original): first seen <t:{first_seen + 60}:f> (<t:{first_seen + 60}:R>)"
        " <https://wire.example/story>",
        f"• Herald: first seen <t:{first_seen + 120}:f> (<t:{first_seen + 120}:R>)",
    ]


def test_describe_story_names_an_original_no_feed_carried() -> None:
    carried = story(
        source(1, "Copycat", key="copy.example/a"),
        original_key="agency.example/x", original_url="https://agency.example/x",
        publisher="Agency Press",
    )
    lines = describe_story(carried).splitlines()
    assert lines[0] == "**Bridge opens (Copycat)** — carried by 1 source:"
    assert lines[1] == "Original: Agency Press <https://agency.example/x> (credited, not followed)"
    assert len(lines) == 3
