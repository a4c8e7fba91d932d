-- Handled updates are keyed by (channel, event_id): Telegram's update_id is an integer, WhatsApp's
-- message ids are strings, and the same number may come from both. They are pruned by age (the
-- platforms redeliver for a day or a week), not by id order.
CREATE TABLE processed_updates_new (
    channel  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (channel, event_id)
);
INSERT INTO processed_updates_new (channel, event_id, at)
    SELECT 'telegram', CAST(update_id AS TEXT), at FROM processed_updates;
DROP TABLE processed_updates;
ALTER TABLE processed_updates_new RENAME TO processed_updates;
CREATE INDEX processed_updates_at ON processed_updates (at);
