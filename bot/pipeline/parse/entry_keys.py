"""An entry's per-feed identity key (the rule is ``bot.pipeline.identify``'s): from its guid
and link, else from its cleaned title and summary. Parsing needs it to know which entries a
poll already stored before it cleans the rest of their text."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

__all__ = ["content_key", "identity_keys"]


def identity_keys(identities: Sequence[tuple[str | None, str | None]]) -> list[str | None]:
    """Each entry's key from its (guid, link): its guid when no other entry of the document
    has it, else its link; None for an entry with neither, whose key is a hash of its title
    and summary."""
    guid_counts = Counter(guid for guid, _ in identities if guid)
    return [
        f"guid:{guid}" if guid and guid_counts[guid] == 1 else f"link:{link}" if link else None
        for guid, link in identities
    ]


def content_key(title: str, summary: str) -> str:
    """The key of an entry with neither guid nor link: a hash of its title and summary."""
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return f"hash:{digest[:32]}"
