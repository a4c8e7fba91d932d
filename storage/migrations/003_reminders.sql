-- Reminders and escalations: how far each open task's schedule has been turned into outbox rows,
-- and on which working days the daily digest was already decided.
ALTER TABLE tasks ADD COLUMN notified_until TEXT;
CREATE TABLE digest_runs (
    day TEXT PRIMARY KEY,
    at  TEXT NOT NULL
);
CREATE INDEX outbox_task ON outbox (key);
