-- How a subscription's posts show their article: ``embed_style`` is 'full', 'compact' (the
-- linked title alone) or 'off' (text only); ``embed_colour`` is the bar's colour as an RGB
-- integer (NULL: Newsdesk's own).
ALTER TABLE subscriptions ADD COLUMN embed_style TEXT NOT NULL DEFAULT 'full';
ALTER TABLE subscriptions ADD COLUMN embed_colour INTEGER;
