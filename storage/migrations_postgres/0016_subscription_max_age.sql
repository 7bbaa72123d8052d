-- storage/migrations/0016 in PostgreSQL's words (an INTEGER column is bigint here).
ALTER TABLE subscriptions ADD COLUMN max_age_days bigint NOT NULL DEFAULT 3;
