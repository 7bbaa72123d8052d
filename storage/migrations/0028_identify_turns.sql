-- Identify turns of the gateway shards live on PostgreSQL only (storage/identify_turns.py,
-- storage/migrations_postgres/0028_identify_turns.sql): every gateway process takes its
-- shards' turns there. One process on SQLite keeps them in memory.
SELECT 1;
