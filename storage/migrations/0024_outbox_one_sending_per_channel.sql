-- A channel's posts go out in order, one at a time, whichever process delivers them: at
-- most one outbox row of a channel is being sent ('sending') at once. The deliverer claims a
-- channel's rows one by one (storage/outbox.py); this index makes a claim that would break
-- the rule fail loudly instead of posting out of order.
--
-- Rows a stopped run left claimed several to a channel (claims used to take a channel's
-- rows by the batch) are given back first, all but the oldest of each channel, as
-- OutboxRepository.release_interrupted would: their attempt back, the claim's time kept as
-- the moment their send may have begun.
UPDATE outbox SET state = 'pending', claimed_at = NULL,
    send_began_at = COALESCE(send_began_at, claimed_at),
    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
WHERE state = 'sending' AND EXISTS (
    SELECT 1 FROM outbox earlier WHERE earlier.channel_id = outbox.channel_id
    AND earlier.state = 'sending' AND earlier.id < outbox.id
);
CREATE UNIQUE INDEX outbox_one_sending_per_channel ON outbox (channel_id)
    WHERE state = 'sending';
-- The claim's rule reads a channel's open rows ("is an earlier row still open?").
CREATE INDEX outbox_open_by_channel ON outbox (channel_id, id)
    WHERE state IN ('waiting', 'pending', 'sending');
