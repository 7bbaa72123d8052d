-- Feed health: when a run of failures began, when the feed was disabled for failing too long,
-- when it last succeeded, and whether admins were told it is failing.
ALTER TABLE feeds ADD COLUMN failing_since REAL;
ALTER TABLE feeds ADD COLUMN disabled_at REAL;
ALTER TABLE feeds ADD COLUMN last_success_at REAL;
ALTER TABLE feeds ADD COLUMN failure_notified INTEGER NOT NULL DEFAULT 0;

-- Per-server settings. A log channel, when set, receives Newsdesk's notices.
CREATE TABLE guild_settings (
    guild_id       INTEGER PRIMARY KEY,
    log_channel_id INTEGER
);

-- Notices for a server's admins (a feed failing, disabled, recovered; a channel closed to the
-- bot). Durable like posts: written in the same transaction as the event, sent by the
-- deliverer with a nonce derived from the row.
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    state      TEXT    NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    message_id INTEGER,
    failure    TEXT,
    created_at REAL    NOT NULL
);
CREATE INDEX notices_ready ON notices (state, next_attempt_at);
