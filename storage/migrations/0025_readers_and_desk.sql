-- Readers and the story desk in processes of their own (issue 18). A reader claims an unread
-- article for a while (reading_by, reading_until: a reader killed in the middle leaves it
-- claimable again once reading_until has passed), stores its reading (title, text,
-- fingerprint, details, …) and marks it read (read_at); the story desk then decides its story
-- and its posts and marks it decided (enriched_at, as before). In one process (role all) both
-- happen in one transaction. An article read but not decided yet has read_at set and
-- enriched_at NULL.
ALTER TABLE articles ADD COLUMN read_at REAL;
ALTER TABLE articles ADD COLUMN reading_by TEXT;
ALTER TABLE articles ADD COLUMN reading_until REAL;
CREATE INDEX articles_awaiting_desk ON articles (first_seen_at, id)
    WHERE read_at IS NOT NULL AND enriched_at IS NULL;
