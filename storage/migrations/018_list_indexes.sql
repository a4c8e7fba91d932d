-- The lists (/tugas, /status, `status --json`) and the digest read only what they show
-- (issue 15): a PPID Pendukung's cases found by their OPD, not by reading every case; the
-- digest's open tasks counted and paged by deadline as an index range, not a scan of all of
-- them (the deadline is compared as julianday, whatever offset it was written with).
CREATE INDEX cases_opd ON cases (opd_id, step);
CREATE INDEX tasks_open_due_day ON tasks (julianday(due_at), id) WHERE done_at IS NULL;
-- `status --json` counts each case's current entries: on this index alone, not on the rows.
CREATE INDEX entries_current ON entries (case_id) WHERE removed = 0;
