-- storage/migrations/0018 in PostgreSQL's words (an integer is bigint here).
ALTER TABLE articles ADD COLUMN read_attempts bigint NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN read_failure text;
