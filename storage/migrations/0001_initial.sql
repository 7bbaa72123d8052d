-- Feeds and articles are global (one fetch, one row per URL and entry, whatever the number of
-- servers); subscriptions and outbox rows are per server and carry guild_id.
-- Times are epoch seconds (REAL, UTC).

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    url              TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL DEFAULT '',
    site_url         TEXT,
    etag             TEXT,
    last_modified    TEXT,
    body_sha256      TEXT,
    interval_seconds INTEGER NOT NULL,
    next_check_at    REAL    NOT NULL,
    last_checked_at  REAL,
    error_count      INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       REAL    NOT NULL
);
CREATE INDEX feeds_due ON feeds (next_check_at);

CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    feed_id         INTEGER NOT NULL REFERENCES feeds (id),
    created_by      INTEGER NOT NULL,
    created_at      REAL    NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    disabled_reason TEXT,
    UNIQUE (guild_id, channel_id, feed_id)
);
CREATE INDEX subscriptions_by_feed ON subscriptions (feed_id, enabled);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id),
    entry_key     TEXT    NOT NULL,
    url           TEXT,
    title         TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    author        TEXT,
    image_url     TEXT,
    published_at  REAL,
    first_seen_at REAL    NOT NULL,
    UNIQUE (feed_id, entry_key)
);

-- One row per (article, channel): written in the same transaction as its article, so a
-- crash can neither lose a post nor (with the row-derived nonce) double it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE SET NULL,
    article_id      INTEGER NOT NULL REFERENCES articles (id),
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL    NOT NULL,
    claimed_at      REAL,
    message_id      INTEGER,
    failure         TEXT,
    created_at      REAL    NOT NULL,
    sent_at         REAL,
    UNIQUE (channel_id, article_id)
);
CREATE INDEX outbox_ready ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_guild ON outbox (guild_id, article_id);
