-- Decisions on exemptions that reach their end date: extended (a new consequence test and end
-- date) or opened (the category changed; the entry then goes through steps 3 to 5 again). The
-- monthly report counts them; the entry keeps only its current reference and end date.
CREATE TABLE exemption_decisions (
    id            INTEGER PRIMARY KEY,
    entry_id      INTEGER NOT NULL REFERENCES entries (id),
    action        TEXT NOT NULL CHECK (action IN ('extend', 'open')),
    old_reference TEXT,
    old_until     TEXT NOT NULL,       -- ISO date the decision was about
    new_reference TEXT,                -- extend
    new_until     TEXT,                -- extend: ISO date
    category      TEXT,                -- open: the new category
    decided_by    INTEGER NOT NULL REFERENCES users (id),
    decided_at    TEXT NOT NULL
);
CREATE INDEX exemption_decisions_at ON exemption_decisions (decided_at);
