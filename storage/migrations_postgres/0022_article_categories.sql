-- storage/migrations/0022 in PostgreSQL's words.
ALTER TABLE articles ADD COLUMN categories text;
