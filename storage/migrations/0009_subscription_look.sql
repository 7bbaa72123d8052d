-- How a subscription's posts look: a message template shown above the embed, and a role to
-- ping for every post of the subscription.
ALTER TABLE subscriptions ADD COLUMN template TEXT;
ALTER TABLE subscriptions ADD COLUMN ping_role_id INTEGER;
