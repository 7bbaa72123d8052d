-- Scheduled digests: a channel gets the top stories of the past day or week at a local time.
CREATE TABLE digests (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    frequency   TEXT    NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    weekday     INTEGER CHECK (weekday BETWEEN 0 AND 6),
    at_minute   INTEGER NOT NULL CHECK (at_minute BETWEEN 0 AND 1439),
    timezone    TEXT    NOT NULL,
    next_run_at REAL    NOT NULL,
    last_run_at REAL,
    created_by  INTEGER NOT NULL,
    created_at  REAL    NOT NULL,
    UNIQUE (guild_id, channel_id)
);
CREATE INDEX digests_due ON digests (next_run_at);
