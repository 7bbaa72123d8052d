-- The maximum age of an article a subscription posts, in days (0: no limit). An item
-- published more than this before Newsdesk first saw it in the feed (a page republished with
-- last year's date, an old item a feed brings back) is not posted. MonitoRSS skips articles
-- older than a day by default; three days leave room for feeds that publish late.
ALTER TABLE subscriptions ADD COLUMN max_age_days INTEGER NOT NULL DEFAULT 3;
