-- storage/migrations/0015 in PostgreSQL's words (an epoch is double precision here).
ALTER TABLE outbox ADD COLUMN send_began_at double precision;
