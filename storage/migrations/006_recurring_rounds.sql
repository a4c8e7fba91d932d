-- Six-monthly rounds: `berkala` information must be refreshed at least every six months.
CREATE TABLE round_schedules (
    id           INTEGER PRIMARY KEY,
    months       TEXT NOT NULL,              -- e.g. '1,7': January and July
    name_pattern TEXT NOT NULL,              -- e.g. 'DIP Semester {semester} {year}'
    created_by   INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE scheduled_rounds (
    schedule_id INTEGER NOT NULL REFERENCES round_schedules (id),
    period      TEXT NOT NULL,               -- 'YYYY-MM' of the round it created
    round_id    INTEGER NOT NULL REFERENCES rounds (id),
    PRIMARY KEY (schedule_id, period)
);
