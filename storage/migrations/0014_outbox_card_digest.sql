-- What a sent post's card looks like (a digest of the rendered card), so a story refresh that
-- renders the same card again sends no edit: Discord would mark the post "(edited)" for
-- nothing. Rows sent before this migration have none and are edited once, as before.
ALTER TABLE outbox ADD COLUMN card_digest TEXT;
