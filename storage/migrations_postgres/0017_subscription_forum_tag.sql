-- storage/migrations/0017 in PostgreSQL's words (a Discord id needs 64 bits here).
ALTER TABLE subscriptions ADD COLUMN forum_tag_id bigint;
