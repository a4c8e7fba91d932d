-- Calendar overrides decided by the admins: local holidays and extra working days.
CREATE TABLE calendar_overrides (
    day        TEXT PRIMARY KEY,               -- ISO date, local calendar
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_by TEXT NOT NULL,                  -- 'cli' or 'user:<id>'
    created_at TEXT NOT NULL                   -- ISO 8601 instant with offset
);
