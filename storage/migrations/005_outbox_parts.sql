-- The outbox learns two things: how many parts of a notice (text, then each file) were already
-- delivered, so a retry never repeats a delivered part; and the state 'skipped' for a notice that
-- a later one made pointless (after downtime only the latest missed reminder of a task is sent).
CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    not_before  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    last_error  TEXT,
    sent_at     TEXT,
    parts_sent  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_new (id, key, user_id, payload, created_at, not_before, state, attempts,
                        next_try_at, last_error, sent_at)
    SELECT id, key, user_id, payload, created_at, not_before, state, attempts, next_try_at,
           last_error, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (not_before) WHERE state = 'pending';
