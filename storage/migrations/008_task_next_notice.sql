-- When the sweep next has something to do for an open task (UTC ISO, so that text order is time
-- order): the sweep reads only the tasks that are due, not every open task every minute.
ALTER TABLE tasks ADD COLUMN next_notice_at TEXT;
CREATE INDEX tasks_next_notice ON tasks (next_notice_at) WHERE done_at IS NULL;
-- Small facts about the running system, e.g. when the sweep last ran (for monitoring).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
