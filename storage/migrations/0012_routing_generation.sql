-- The reader keeps every follow, its filters and the servers on each feed in memory. It must
-- notice any change to them, whatever code path (or process) writes it: commands, guild
-- removal, a subscription disabled by a failed delivery. So the database counts the changes
-- itself, and the reader reloads when the count moved.
CREATE TABLE routing_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO routing_generation (id, generation) VALUES (1, 1);

CREATE TRIGGER follows_routing_insert AFTER INSERT ON follows BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;
CREATE TRIGGER follows_routing_update AFTER UPDATE ON follows BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;
CREATE TRIGGER follows_routing_delete AFTER DELETE ON follows BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;

-- Only a follow's filters are held in memory; a subscription's are read per article.
CREATE TRIGGER filters_routing_insert AFTER INSERT ON filters
WHEN new.follow_id IS NOT NULL BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;
CREATE TRIGGER filters_routing_update AFTER UPDATE ON filters
WHEN old.follow_id IS NOT NULL OR new.follow_id IS NOT NULL BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;
CREATE TRIGGER filters_routing_delete AFTER DELETE ON filters
WHEN old.follow_id IS NOT NULL BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;

-- Which servers (and which of their subscriptions) are on a feed; templates, pings and
-- intervals do not change routing.
CREATE TRIGGER subscriptions_routing_insert AFTER INSERT ON subscriptions BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;
CREATE TRIGGER subscriptions_routing_update AFTER UPDATE OF guild_id, feed_id, enabled
ON subscriptions BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;
CREATE TRIGGER subscriptions_routing_delete AFTER DELETE ON subscriptions BEGIN
    UPDATE routing_generation SET generation = generation + 1;
END;
