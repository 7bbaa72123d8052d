-- When gateway shards may IDENTIFY, agreed by every gateway process (storage/identify_turns.py).
-- Discord starts one session per rate-limit key (shard_id % max_concurrency) every 5 s and
-- 1,000 a day for the whole bot. Times are epoch seconds of the database's clock.
CREATE TABLE identify_buckets (
    bucket integer PRIMARY KEY,
    next_at double precision NOT NULL  -- the earliest moment the bucket's next shard may identify
);

CREATE TABLE identify_budget (
    id smallint PRIMARY KEY CHECK (id = 1),
    total integer NOT NULL,       -- session starts a day (GET /gateway/bot's total)
    remaining integer NOT NULL,   -- left in the window
    resets_at double precision NOT NULL  -- when the window ends and the count refills
);
