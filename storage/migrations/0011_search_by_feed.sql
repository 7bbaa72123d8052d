-- Search narrows to a server's feeds inside the full-text index itself: each article's feed
-- is indexed as a token ("f12"), so FTS5 intersects the words with the server's feeds
-- before a single article row is read (instead of filtering every match afterwards).
ALTER TABLE articles ADD COLUMN feed_token TEXT GENERATED ALWAYS AS ('f' || feed_id) VIRTUAL;

DROP TRIGGER articles_search_insert;
DROP TRIGGER articles_search_update;
DROP TRIGGER articles_search_delete;
DROP TABLE article_search;

CREATE VIRTUAL TABLE article_search USING fts5(
    title, summary, text, feed_token, content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_search (rowid, title, summary, text, feed_token)
    VALUES (new.id, new.title, new.summary, COALESCE(new.text, ''), 'f' || new.feed_id);
END;
CREATE TRIGGER articles_search_update AFTER UPDATE OF title, summary, text ON articles BEGIN
    INSERT INTO article_search (article_search, rowid, title, summary, text, feed_token)
    VALUES ('delete', old.id, old.title, old.summary, COALESCE(old.text, ''), 'f' || old.feed_id);
    INSERT INTO article_search (rowid, title, summary, text, feed_token)
    VALUES (new.id, new.title, new.summary, COALESCE(new.text, ''), 'f' || new.feed_id);
END;
CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
    INSERT INTO article_search (article_search, rowid, title, summary, text, feed_token)
    VALUES ('delete', old.id, old.title, old.summary, COALESCE(old.text, ''), 'f' || old.feed_id);
END;
INSERT INTO article_search (article_search) VALUES ('rebuild');
