-- A check in progress holds its feed until claimed_until (epoch seconds on the database's
-- clock): a poller that dies mid-check leaves its feeds to be claimed again once the lease
-- runs out; a finished check clears it. (Host buckets and their leases exist on PostgreSQL
-- only, where several pollers share the feeds: migrations_postgres/0027_feed_claims.sql.)
ALTER TABLE feeds ADD COLUMN claimed_until REAL;
