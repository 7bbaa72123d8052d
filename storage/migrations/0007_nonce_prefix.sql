-- Facts about this database itself. The nonce prefix is random per database, so post nonces
-- ("d" + prefix + outbox id) never repeat those of an earlier database whose ids restarted
-- at 1: Discord would otherwise answer a new post with an old message.
CREATE TABLE instance (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO instance (key, value) VALUES ('nonce_prefix', lower(hex(randomblob(4))));
