"""Which feed entries are the same entry: the per-feed identity key of an article.

Rule: an entry is known by its guid, else its link, else a hash of its title and summary.
When two entries of one document share a guid (some feeds reuse one for every item), the
guid cannot identify them, so for that document the link is used instead; an exact repeat
(same key after that) is kept once. Entries come out oldest first, so posts follow
publication order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.models import NewArticle
from bot.pipeline.parse import ParsedEntry
from bot.pipeline.parse.entry_keys import content_key, identity_keys
from bot.pipeline.story.copies import normalise_url


def articles_from_entries(entries: Sequence[ParsedEntry]) -> list[NewArticle]:
    """Turn a document's entries into keyed articles, oldest first, each key once; entries
    the parse found already stored (``ParsedEntry.known``) count for the keys but are not
    returned."""
    keys = identity_keys([(entry.guid, entry.link) for entry in entries])
    seen: set[str] = set()
    keyed: list[tuple[int, NewArticle]] = []
    for position, (entry, identity_key) in enumerate(zip(entries, keys, strict=True)):
        key = identity_key or content_key(entry.title, entry.summary)
        if key in seen:
            continue
        seen.add(key)
        if entry.known:
            continue
        keyed.append(
            (
                position,
                NewArticle(
                    entry_key=key,
                    url=entry.link,
                    title=entry.title or "(untitled)",
                    summary=entry.summary,
                    author=entry.author,
                    image_url=entry.image_url,
                    published_at=entry.published,
                    url_key=normalise_url(entry.link) if entry.link else None,
                    categories=entry.categories,
                ),
            )
        )
    # Feeds list newest first; undated entries keep the reverse of document order.
    far_past = datetime.min.replace(tzinfo=None)

    def order(item: tuple[int, NewArticle]) -> tuple[bool, datetime, int]:
        position, article = item
        published = article.published_at
        moment = published.replace(tzinfo=None) if published is not None else far_past
        return (published is not None, moment, -position)

    return [article for _, article in sorted(keyed, key=order)]
