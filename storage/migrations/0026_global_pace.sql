-- One global pace for every process of a bot (storage/pace.py) lives on PostgreSQL only:
-- storage/migrations_postgres/0026_global_pace.sql. One process on SQLite paces itself in
-- memory (bot/discord_io/pacing.py).
SELECT 1;
