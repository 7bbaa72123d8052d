-- Webhook delivery: posts appear under the source's name and icon. One webhook per channel
-- (created by Newsdesk, its token kept here), used by the subscriptions that ask for it.
ALTER TABLE feeds ADD COLUMN icon_url TEXT;
ALTER TABLE subscriptions ADD COLUMN via_webhook INTEGER NOT NULL DEFAULT 0;
CREATE TABLE channel_webhooks (
    channel_id INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    webhook_id INTEGER NOT NULL,
    token      TEXT    NOT NULL
);
