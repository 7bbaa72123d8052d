-- An admin's pause switch, apart from ``enabled`` (which Newsdesk turns off when it cannot
-- post): while ``paused_at`` is set (epoch seconds) nothing new is queued for the
-- subscription. ``resumed_at`` is when posting last came back (a resume or an enable), so
-- /feed why can say an item appeared while posting there was stopped.
ALTER TABLE subscriptions ADD COLUMN paused_at REAL;
ALTER TABLE subscriptions ADD COLUMN resumed_at REAL;
