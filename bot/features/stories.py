"""What members learn about one article they paste: its story (``/story``) and, for admins,
what became of it in each of the server's channels (``/feed why``)."""

from __future__ import annotations

from bot.core.urls import normalise_url, pasted_address
from bot.features.feeds.why import explain_traces
from bot.pipeline.story.credits import describe_story
from bot.pipeline.story.lead import story_lead
from storage import Repositories


class StoryService:
    """Looks an article up by its address among one server's feeds."""

    def __init__(self, repositories: Repositories) -> None:
        self._repos = repositories

    async def describe(self, guild_id: int, url: str) -> str:
        """Say every source that carried the story of the article at ``url`` (``/story``).

        Raises:
            InvalidInput: the text is not a web address.
        """
        address = pasted_address(url)
        stories = self._repos.stories
        story_id = await stories.story_for_guild_address(guild_id, normalise_url(address))
        story = await stories.story(guild_id, story_id) if story_id is not None else None
        if story is None:
            return (
                f"Newsdesk has no story for <{address}> among this server's feeds. It may not "
                "be in a feed this server follows, or not read yet."
            )
        return describe_story(story, await story_lead(self._repos, story))

    async def explain(self, guild_id: int, url: str) -> str:
        """Say what became of the article at ``url`` in each channel (``/feed why``).

        Raises:
            InvalidInput: the text is not a web address.
        """
        address = pasted_address(url)
        traces = await self._repos.articles.traces_for_guild(guild_id, normalise_url(address))
        return explain_traces(guild_id, address, traces)
