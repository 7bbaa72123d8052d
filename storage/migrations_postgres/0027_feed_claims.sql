-- Pollers ×N (DESIGN.md §8, storage/feeds.py and storage/poll_buckets.py).
--
-- claimed_until: a check in progress holds its feed until then (epoch seconds on the
-- database's clock); a poller killed mid-batch leaves its feeds claimable again once the
-- lease runs out, a finished check clears it.
ALTER TABLE feeds ADD COLUMN claimed_until double precision;

-- host_bucket: the feed's host (lower case, without user, port or trailing dot) hashed into
-- one of 256 buckets. A poller claims only feeds of the buckets it holds, so one host's
-- feeds are fetched by one process and the fetcher's per-host limit holds across pollers.
-- Generated, so every way a feed row is written (and the rows already there) has it.
ALTER TABLE feeds ADD COLUMN host_bucket bigint GENERATED ALWAYS AS (
    get_byte(decode(md5(rtrim(lower(COALESCE(
        substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#]*@)?(\[[^]/?#]*\]|[^:/?#]*)'),
        '')), '.')), 'hex'), 0)
) STORED;

-- The pollers alive now: each renews its row while it runs (the fair share of buckets is
-- ceil(256 / live pollers)); a row whose time has passed is a poller gone.
CREATE TABLE pollers (
    holder      text PRIMARY KEY,
    alive_until double precision NOT NULL
);

-- Who holds each host bucket, until when: renewed while its poller lives, taken over by
-- another once it runs out.
CREATE TABLE poll_buckets (
    bucket      bigint PRIMARY KEY,
    holder      text,
    lease_until double precision
);
INSERT INTO poll_buckets (bucket) SELECT generate_series(0, 255);
