-- Leader leases (the story desk, the deliverer across processes) live on PostgreSQL only:
-- storage/migrations_postgres/0023_leader_leases.sql. One process on SQLite leads alone.
SELECT 1;
