-- Acting officials (issue 17, part 1): a person away from `starts` to `ends` (local dates, both
-- included; NULL `ends`: a vacancy an admin filled with a Plt), and who stands in for them.
-- `ended_at`: ended early (or withdrawn); `returned_told_at`: both were told it is over, once.
CREATE TABLE absences (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    starts           TEXT NOT NULL,
    ends             TEXT,
    stand_in_id      INTEGER REFERENCES users (id),
    created_by       INTEGER REFERENCES users (id),
    created_at       TEXT NOT NULL,
    ended_at         TEXT,
    returned_told_at TEXT,
    CHECK (ends IS NULL OR ends >= starts),
    CHECK (stand_in_id IS NULL OR stand_in_id <> user_id)
);
CREATE INDEX absences_user ON absences (user_id);
CREATE INDEX absences_open ON absences (returned_told_at) WHERE returned_told_at IS NULL;

-- "Z a.n. X": the absent person an act was done on behalf of (NULL: for oneself).
ALTER TABLE audit ADD COLUMN acting_for INTEGER;
