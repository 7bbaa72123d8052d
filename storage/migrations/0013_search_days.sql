-- /search's "last N days" filter turns into a lower bound on the article id, which the
-- full-text index applies inside its newest-first scan (instead of reading every older match
-- of the server's feeds only to drop it). Article ids grow with first-seen time but an
-- article's date is its published time when it has one, which may be later than when it was
-- first seen; so the bound comes from this table: for each UTC day (days since 1970) of an
-- article's date, the lowest id dated that day. Every article dated on or after a day has an
-- id at least the lowest first_id from that day on. Rows are only ever lowered, never
-- raised, so a changed date leaves a bound that is looser, never wrong.
CREATE TABLE article_days (
    day      INTEGER PRIMARY KEY,
    first_id INTEGER NOT NULL
);
INSERT INTO article_days (day, first_id)
SELECT CAST(COALESCE(published_at, first_seen_at) / 86400 AS INTEGER), MIN(id)
FROM articles GROUP BY 1;

CREATE TRIGGER articles_days_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_days (day, first_id)
    VALUES (CAST(COALESCE(new.published_at, new.first_seen_at) / 86400 AS INTEGER), new.id)
    ON CONFLICT (day) DO UPDATE SET first_id = MIN(first_id, excluded.first_id);
END;
CREATE TRIGGER articles_days_update AFTER UPDATE OF published_at, first_seen_at ON articles BEGIN
    INSERT INTO article_days (day, first_id)
    VALUES (CAST(COALESCE(new.published_at, new.first_seen_at) / 86400 AS INTEGER), new.id)
    ON CONFLICT (day) DO UPDATE SET first_id = MIN(first_id, excluded.first_id);
END;
