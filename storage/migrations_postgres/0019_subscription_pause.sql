-- storage/migrations/0019 in PostgreSQL's words (an epoch is double precision here).
ALTER TABLE subscriptions ADD COLUMN paused_at double precision;
ALTER TABLE subscriptions ADD COLUMN resumed_at double precision;
