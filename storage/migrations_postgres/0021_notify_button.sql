-- storage/migrations/0021 in PostgreSQL's words.
ALTER TABLE subscriptions ADD COLUMN notify_button bigint NOT NULL DEFAULT 0;
ALTER TABLE follows ADD COLUMN notify_button bigint NOT NULL DEFAULT 0;
