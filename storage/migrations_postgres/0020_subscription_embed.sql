-- storage/migrations/0020 in PostgreSQL's words (an INTEGER column is bigint here).
ALTER TABLE subscriptions ADD COLUMN embed_style text NOT NULL DEFAULT 'full';
ALTER TABLE subscriptions ADD COLUMN embed_colour bigint;
