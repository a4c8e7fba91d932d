-- The life of a document: current (removed = 0), removed by its OPD before submitting, or
-- rejected by the PPID Utama at step 4. Who, when and why are kept; a removed or rejected
-- document is never published, and its bytes stay in the store as evidence.
ALTER TABLE documents ADD COLUMN removed_kind TEXT CHECK (removed_kind IN ('removed', 'rejected'));
ALTER TABLE documents ADD COLUMN removed_at TEXT;
ALTER TABLE documents ADD COLUMN removed_by INTEGER REFERENCES users (id);
ALTER TABLE documents ADD COLUMN removed_reason TEXT;
