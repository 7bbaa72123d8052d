"""Which tag a forum post carries.

Rules: a forum with "Require tags" refuses a post without one (code 40067), so every post into
a forum that has tags carries exactly one: the tag an admin chose for the subscription while
the forum still has it, else the forum's tag named like the feed, else its first tag. A
moderated tag (Discord lets only members with Manage Threads apply it) is chosen only when
Newsdesk has Manage Threads there. The choice is made at each post from the forum's tags as
they are then, so a renamed or deleted tag never blocks the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.text import without_invisible


@dataclass(frozen=True)
class ForumTag:
    """One of a forum's tags, as Discord describes it."""

    id: int
    name: str
    moderated: bool = False


def _comparable(name: str) -> str:
    return " ".join(without_invisible(name).casefold().split())


def find_tag(tags: Sequence[ForumTag], name: str) -> ForumTag | None:
    """Return the tag called ``name`` (case and spacing aside), if the forum has one."""
    wanted = _comparable(name)
    return next((tag for tag in tags if _comparable(tag.name) == wanted), None)


def choose_forum_tag(
    tags: Sequence[ForumTag], *, chosen_id: int | None, feed_title: str, may_moderate: bool
) -> ForumTag | None:
    """Return the tag a subscription's next post carries (None: the forum has no usable tag)."""
    usable = [tag for tag in tags if may_moderate or not tag.moderated]
    chosen = next((tag for tag in usable if tag.id == chosen_id), None)
    return chosen or find_tag(usable, feed_title) or (usable[0] if usable else None)
