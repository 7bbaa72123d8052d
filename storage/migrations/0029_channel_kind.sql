-- The kind of channel a subscription or follow posts to, recorded when it is made (the
-- gateway sees the channel then): 'text' (anything that takes POST /channels/{id}/messages)
-- or 'forum' (a post opens a thread). A channel's kind never changes between the two on
-- Discord, so it is never refreshed. With it, a REST-only deliverer posts to a text channel
-- at once instead of fetching the server (3 requests) to tell a forum from a text channel.
-- NULL (rows made before this): look the channel up, as before.
ALTER TABLE subscriptions ADD COLUMN channel_kind text
    CHECK (channel_kind IN ('text', 'forum'));
ALTER TABLE follows ADD COLUMN channel_kind text CHECK (channel_kind IN ('text', 'forum'));
