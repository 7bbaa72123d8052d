-- Leaders of the roles that must run once (the story desk, the deliverer): who holds the
-- lease, until when, and its epoch, which fences a stale leader's writes (storage/leases.py).
-- Only PostgreSQL deployments use it; the table is on both engines so their schemas agree.
CREATE TABLE leader_leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    epoch      bigint NOT NULL,
    expires_at double precision NOT NULL
);
