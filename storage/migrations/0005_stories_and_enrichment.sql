-- Reading the page behind each new entry (the clean article) and grouping copies into
-- stories. An article stays "unread" (enriched_at NULL) until the reader has looked at it;
-- its outbox rows wait (state 'waiting') until then, so a copy of a story already posted in
-- a channel can be skipped there instead of posted twice.

CREATE TABLE stories (
    id               INTEGER PRIMARY KEY,
    created_at       REAL NOT NULL,
    original_url_key TEXT,
    original_url     TEXT,
    original_publisher TEXT
);
CREATE INDEX stories_by_original ON stories (original_url_key);

ALTER TABLE articles ADD COLUMN enriched_at REAL;
ALTER TABLE articles ADD COLUMN story_id INTEGER REFERENCES stories (id);
ALTER TABLE articles ADD COLUMN original_url TEXT;
ALTER TABLE articles ADD COLUMN original_publisher TEXT;
ALTER TABLE articles ADD COLUMN fingerprint BLOB;
ALTER TABLE articles ADD COLUMN details TEXT;
-- Articles stored before this migration count as read: reading a backlog is not wanted.
UPDATE articles SET enriched_at = first_seen_at;
CREATE INDEX articles_unread ON articles (first_seen_at) WHERE enriched_at IS NULL;
CREATE INDEX articles_by_story ON articles (story_id);
CREATE INDEX articles_recent ON articles (first_seen_at);

-- Servers may want every copy posted: copy suppression can be turned off per subscription.
ALTER TABLE subscriptions ADD COLUMN post_copies INTEGER NOT NULL DEFAULT 0;

-- The outbox gains 'waiting' (its article is being read) and 'skipped' (a copy of a story
-- already posted in that channel), and a flag asking the deliverer to re-render a sent post
-- (a new source joined its story). SQLite cannot alter a CHECK, so the table is rebuilt.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE SET NULL,
    article_id      INTEGER NOT NULL REFERENCES articles (id),
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('waiting', 'pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL    NOT NULL,
    claimed_at      REAL,
    message_id      INTEGER,
    failure         TEXT,
    created_at      REAL    NOT NULL,
    sent_at         REAL,
    story_id        INTEGER REFERENCES stories (id),
    refresh_requested INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel_id, article_id)
);
INSERT INTO outbox_new (id, guild_id, channel_id, subscription_id, article_id, state, attempts,
                        next_attempt_at, claimed_at, message_id, failure, created_at, sent_at)
SELECT id, guild_id, channel_id, subscription_id, article_id, state, attempts,
       next_attempt_at, claimed_at, message_id, failure, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_ready ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_guild ON outbox (guild_id, article_id);
CREATE INDEX outbox_by_story ON outbox (channel_id, story_id);
CREATE INDEX outbox_refresh ON outbox (refresh_requested) WHERE refresh_requested = 1;
