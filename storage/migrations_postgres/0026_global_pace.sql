-- One global pace for every process of a bot (storage/pace.py): Discord allows a bot token
-- 50 requests a second whatever the number of machines, so each counted request of each
-- process reserves its turn here. UNLOGGED: a pace need not survive a crash of the server
-- (the row is made again on first use), and every request of every process writes it.
CREATE UNLOGGED TABLE global_pace (
    name      text PRIMARY KEY,
    next_turn double precision NOT NULL
);
