-- Poison articles: an article whose reading fails again and again (or stops the process
-- reading it) is given up after a few attempts, its waiting posts failed with the reason,
-- instead of holding its channels for good. An attempt is counted before the reading starts,
-- so one that never finishes (a crash, a kill) counts too, across restarts.
ALTER TABLE articles ADD COLUMN read_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN read_failure TEXT;
