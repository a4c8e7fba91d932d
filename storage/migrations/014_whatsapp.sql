-- WhatsApp beside Telegram.
-- The 24-hour window: when each person last wrote to the bot (WhatsApp lets a business write
-- freely only within 24 hours of it; outside, only an approved template may go).
ALTER TABLE users ADD COLUMN last_seen_at TEXT;
-- Contact data only (a WhatsApp number); people are keyed on (channel, external_id).
ALTER TABLE users ADD COLUMN phone TEXT;
-- An invitation made for a person who already takes part moves them to the channel that
-- redeems it (a person is on one channel at a time).
ALTER TABLE invitations ADD COLUMN user_id INTEGER REFERENCES users (id);
-- A notice that must go as its template (the window closed, or the platform refused free text).
ALTER TABLE outbox ADD COLUMN brief INTEGER NOT NULL DEFAULT 0;

-- The platform's id of each message a notice went out as, and its delivery status as the
-- platform reports it (statuses arrive late, twice and out of order: the rank only rises).
CREATE TABLE channel_messages (
    channel     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    outbox_id   INTEGER NOT NULL REFERENCES outbox (id),
    status      TEXT NOT NULL DEFAULT 'accepted'
                CHECK (status IN ('accepted', 'sent', 'delivered', 'read', 'failed')),
    status_at   TEXT,
    error       TEXT,
    PRIMARY KEY (channel, message_id, outbox_id)
);
CREATE INDEX channel_messages_outbox ON channel_messages (outbox_id);

-- A failure the platform reported before the bot had recorded which notice the message carried
-- (the status webhook can overtake the answer to the send): kept until the record is written.
CREATE TABLE channel_early_failures (
    channel     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    reach       TEXT,
    retry_s     REAL,
    PRIMARY KEY (channel, message_id)
);

-- A file uploaded once to a platform, re-sent by its media id while the id is valid.
CREATE TABLE channel_media (
    channel     TEXT NOT NULL,
    digest      TEXT NOT NULL,               -- sha256 of the file's bytes
    media_id    TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (channel, digest)
);
