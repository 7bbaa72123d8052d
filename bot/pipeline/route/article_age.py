"""The maximum article age: an old item is not posted as news.

Rules:
- An article published more than a subscription's ``max_age_days`` before Newsdesk first saw
  it in the feed is not posted for that subscription (0 days: no limit). The publication
  date is the one the post would show (the page's own date when the page has one, else the
  feed's), so a page republished with last year's date is caught, not posted as "542 days
  ago".
- An article without a publication date is never too old: nothing says it is.
- The limit applies to subscriptions' posts; a follow's post of the same article in another
  channel is the follow's choice (the topic was asked for wherever it comes from).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.text import plural

DEFAULT_MAX_AGE_DAYS = 3
TOO_OLD = "too old: "
"""How a skipped post's reason starts when the article was too old (``/feed why`` reads it)."""


def too_old_reason(
    published_at: datetime | None, first_seen_at: datetime, max_age_days: int
) -> str | None:
    """Return why the article is too old to post under ``max_age_days`` (None: it is not)."""
    if published_at is None or max_age_days <= 0:
        return None
    age = first_seen_at - published_at
    if age <= timedelta(days=max_age_days):
        return None
    days = age.days
    return (
        f"{TOO_OLD}it was published {plural(days, 'day')} before it appeared in the feed, "
        f"and this subscription posts nothing older than {plural(max_age_days, 'day')}"
    )
