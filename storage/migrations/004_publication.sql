-- Withdrawal of published entries (the PPID Utama's decision, with a reason, audited).
ALTER TABLE entries ADD COLUMN withdrawn_at TEXT;
ALTER TABLE entries ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE entries ADD COLUMN withdrawn_by INTEGER REFERENCES users (id);
