-- The normalised form of an article's URL (scheme, host case, tracking parameters…), so the
-- same article is found whatever variant of its address a person or another feed gives.
ALTER TABLE articles ADD COLUMN url_key TEXT;
CREATE INDEX articles_by_url_key ON articles (url_key);
