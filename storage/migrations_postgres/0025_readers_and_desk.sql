-- storage/migrations/0025 in PostgreSQL's words.
ALTER TABLE articles ADD COLUMN read_at double precision;
ALTER TABLE articles ADD COLUMN reading_by text;
ALTER TABLE articles ADD COLUMN reading_until double precision;
CREATE INDEX articles_awaiting_desk ON articles (first_seen_at, id)
    WHERE read_at IS NOT NULL AND enriched_at IS NULL;
