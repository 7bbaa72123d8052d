-- Whether the posts of a subscription (/feed ping notify_button:) or a follow (/follow add
-- notify_button:) that ping a role carry a "Notify me" button, which gives or takes that
-- role from the member who clicks. Off unless an admin turns it on: it lets every member
-- change their own roles.
ALTER TABLE subscriptions ADD COLUMN notify_button INTEGER NOT NULL DEFAULT 0;
ALTER TABLE follows ADD COLUMN notify_button INTEGER NOT NULL DEFAULT 0;
