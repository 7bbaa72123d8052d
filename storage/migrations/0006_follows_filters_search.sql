-- Follows: a channel following a topic (keyword, person, organisation, place) across the
-- server's feeds (or a chosen few), optionally pinging a role for matches.
CREATE TABLE follows (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('keyword', 'person', 'organization', 'place')),
    topic       TEXT    NOT NULL,
    role_id     INTEGER,
    subscription_ids TEXT,        -- JSON list of the server's subscription ids; NULL: all feeds
    filter_mode TEXT    NOT NULL DEFAULT 'all' CHECK (filter_mode IN ('all', 'any')),
    created_by  INTEGER NOT NULL,
    created_at  REAL    NOT NULL,
    UNIQUE (guild_id, channel_id, kind, topic)
);
CREATE INDEX follows_by_guild ON follows (guild_id);

-- Filters on a subscription or a follow: include/exclude rules over a field.
CREATE TABLE filters (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE CASCADE,
    follow_id       INTEGER REFERENCES follows (id) ON DELETE CASCADE,
    action          TEXT    NOT NULL CHECK (action IN ('include', 'exclude')),
    field           TEXT    NOT NULL CHECK (field IN ('any', 'title', 'text', 'author', 'source')),
    match_kind      TEXT    NOT NULL CHECK (match_kind IN ('word', 'phrase', 'regex')),
    pattern         TEXT    NOT NULL,
    created_at      REAL    NOT NULL,
    CHECK ((subscription_id IS NULL) != (follow_id IS NULL))
);
CREATE INDEX filters_by_subscription ON filters (subscription_id);
CREATE INDEX filters_by_follow ON filters (follow_id);
ALTER TABLE subscriptions ADD COLUMN filter_mode TEXT NOT NULL DEFAULT 'all';

-- Posts caused by a follow carry it, and the role to ping.
ALTER TABLE outbox ADD COLUMN follow_id INTEGER REFERENCES follows (id) ON DELETE SET NULL;
ALTER TABLE outbox ADD COLUMN ping_role_id INTEGER;

-- The clean text of each article, and a full-text index over title, summary and text.
ALTER TABLE articles ADD COLUMN text TEXT;
CREATE VIRTUAL TABLE article_search USING fts5(
    title, summary, text, content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_search (rowid, title, summary, text)
    VALUES (new.id, new.title, new.summary, COALESCE(new.text, ''));
END;
CREATE TRIGGER articles_search_update AFTER UPDATE OF title, summary, text ON articles BEGIN
    INSERT INTO article_search (article_search, rowid, title, summary, text)
    VALUES ('delete', old.id, old.title, old.summary, COALESCE(old.text, ''));
    INSERT INTO article_search (rowid, title, summary, text)
    VALUES (new.id, new.title, new.summary, COALESCE(new.text, ''));
END;
CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
    INSERT INTO article_search (article_search, rowid, title, summary, text)
    VALUES ('delete', old.id, old.title, old.summary, COALESCE(old.text, ''));
END;
INSERT INTO article_search (article_search) VALUES ('rebuild');
