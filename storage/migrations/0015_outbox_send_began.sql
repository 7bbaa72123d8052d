-- When the first attempt to send a row began, kept across crashes and retries (epoch
-- seconds; NULL while no attempt may have reached Discord). A row released by a crash, or
-- retried after a failure that may have posted it, is looked for in its channel before it is
-- sent again: a plain post's nonce only de-duplicates for a few minutes, and webhook and
-- forum posts carry none. This is the moment to look from.
ALTER TABLE outbox ADD COLUMN send_began_at REAL;
