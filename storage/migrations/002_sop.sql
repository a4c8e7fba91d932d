-- The SOP: organisation, people, invitations, rounds, cases, their tasks, entries and documents,
-- the append-only audit trail, dialog state, and the transactional outbox.
CREATE TABLE opds (
    id     INTEGER PRIMARY KEY,
    code   TEXT NOT NULL UNIQUE,
    name   TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN
                       ('admin', 'pejabat_pid', 'ppid_utama', 'ppid_pendukung', 'atasan')),
    opd_id         INTEGER REFERENCES opds (id),
    channel        TEXT NOT NULL DEFAULT 'telegram',
    external_id    TEXT,                       -- the person's id on the channel
    chat_id        TEXT,                       -- where the bot writes to them
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    deactivated_at TEXT,
    CHECK ((role = 'ppid_pendukung') = (opd_id IS NOT NULL)),
    UNIQUE (channel, external_id)
);

CREATE TABLE invitations (
    token      TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    opd_id     INTEGER REFERENCES opds (id),
    name       TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER REFERENCES users (id),
    used_at    TEXT
);

CREATE TABLE rounds (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    closed_at  TEXT
);

CREATE TABLE cases (
    id         INTEGER PRIMARY KEY,
    round_id   INTEGER NOT NULL REFERENCES rounds (id),
    opd_id     INTEGER NOT NULL REFERENCES opds (id),
    step       INTEGER NOT NULL CHECK (step BETWEEN 1 AND 6),   -- 6: closed (published)
    version    INTEGER NOT NULL DEFAULT 1,   -- bumped by every change; buttons carry it
    return_note TEXT,                        -- the latest reason a step was returned
    created_at TEXT NOT NULL,
    closed_at  TEXT,
    UNIQUE (round_id, opd_id)
);
CREATE INDEX cases_step ON cases (step);

-- One row per hand-over: who must act, since when, until when, and how it ended.
CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    step         INTEGER NOT NULL CHECK (step BETWEEN 1 AND 5),
    started_at   TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    done_at      TEXT,
    done_by      INTEGER REFERENCES users (id),
    outcome      TEXT                        -- forwarded | returned | published
);
CREATE INDEX tasks_open ON tasks (due_at) WHERE done_at IS NULL;
CREATE UNIQUE INDEX tasks_one_open_per_case ON tasks (case_id) WHERE done_at IS NULL;

CREATE TABLE entries (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases (id),
    number          INTEGER NOT NULL,        -- shown to people as #number, stable in a case
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    category        TEXT NOT NULL CHECK (category IN
                        ('berkala', 'serta_merta', 'setiap_saat', 'dikecualikan')),
    holder          TEXT NOT NULL,           -- pejabat/unit yang menguasai informasi
    responsible     TEXT NOT NULL,           -- penanggung jawab pembuatan/penerbitan
    made            TEXT NOT NULL,           -- waktu dan tempat pembuatan
    forms           TEXT NOT NULL,           -- bentuk informasi: cetak,softcopy,online
    retention       TEXT NOT NULL,           -- jangka waktu penyimpanan
    resolution      TEXT NOT NULL DEFAULT 'none' CHECK (resolution IN
                        ('none', 'documents', 'not_held', 'exempt')),
    resolution_note TEXT,                    -- reason not held
    exempt_reference TEXT,                   -- uji konsekuensi
    exempt_until    TEXT,                    -- ISO date
    review          TEXT NOT NULL DEFAULT 'pending' CHECK (review IN
                        ('pending', 'approved', 'returned')),
    review_note     TEXT,
    published_url   TEXT,
    published_at    TEXT,
    removed         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (case_id, number)
);

CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    entry_id      INTEGER REFERENCES entries (id),   -- NULL: the draft list of step 1
    step          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    mime          TEXT NOT NULL,
    name          TEXT NOT NULL,             -- the original name, sanitised
    channel_file_id TEXT,                    -- lets the bot re-send without re-uploading
    uploaded_by   INTEGER NOT NULL REFERENCES users (id),
    uploaded_at   TEXT NOT NULL,
    removed       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX documents_entry ON documents (entry_id);
CREATE INDEX documents_case ON documents (case_id);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER,
    external_id TEXT,
    role        TEXT,
    opd_id      INTEGER,
    case_id     INTEGER,
    step        INTEGER,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL DEFAULT 'ok',  -- ok | refused
    note        TEXT,
    message_id  TEXT
);
CREATE INDEX audit_case ON audit (case_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;

-- What the bot waits for from a person ("the reason of a return", "files for entry #7").
CREATE TABLE dialogs (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

-- The transactional outbox: one row per notification, written with the change that causes it.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,        -- (task, kind, level, recipient): never twice
    user_id     INTEGER NOT NULL REFERENCES users (id),
    payload     TEXT NOT NULL,               -- JSON: text, buttons, documents
    created_at  TEXT NOT NULL,
    not_before  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    last_error  TEXT,
    sent_at     TEXT
);
CREATE INDEX outbox_pending ON outbox (not_before) WHERE state = 'pending';
