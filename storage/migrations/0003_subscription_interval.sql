-- A server may ask for a feed to be checked more or less often; the feed is checked at the
-- shortest interval any of its subscriptions asks for (NULL: the default).
ALTER TABLE subscriptions ADD COLUMN interval_seconds INTEGER;
