"""``/story``: every source that carried the story behind an address, for one server."""

from __future__ import annotations

from bot.core.errors import InvalidInput
from bot.core.urls import is_web_url
from bot.pipeline.story.copies import normalise_url
from bot.pipeline.story.credits import describe_story
from storage import Repositories


async def describe_story_at(repositories: Repositories, guild_id: int, url: str) -> str:
    """Describe the story of the article at ``url`` among the server's feeds.

    Raises:
        InvalidInput: the text is not a web address.
    """
    address = url.strip().strip("<>")
    if not is_web_url(address):
        raise InvalidInput("Give the article's full web address, starting with https://.")
    story_id = await repositories.stories.story_for_guild_address(
        guild_id, normalise_url(address)
    )
    story = (
        await repositories.stories.story(guild_id, story_id) if story_id is not None else None
    )
    if story is None:
        return (
            f"Newsdesk has no story for <{address}> among this server's feeds. It may not be "
            "in a feed this server follows, or not read yet."
        )
    return describe_story(story)
