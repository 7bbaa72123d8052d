-- The forum tag a subscription's posts carry, when an admin chose one (/feed add tag:, /feed
-- tag). NULL: the forum's tag named like the feed, else its first tag, chosen at each post (a
-- forum with "Require tags" refuses a post without one, code 40067). Kept when the tag is
-- deleted from the forum: posts then fall back to that default.
ALTER TABLE subscriptions ADD COLUMN forum_tag_id INTEGER;
