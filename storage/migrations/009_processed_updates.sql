-- Updates the bot has fully handled. The bot confirms an update to Telegram only after handling
-- it, so after a crash Telegram delivers it again; this table makes that second delivery a no-op.
CREATE TABLE processed_updates (
    update_id INTEGER PRIMARY KEY,
    at        TEXT NOT NULL
);
