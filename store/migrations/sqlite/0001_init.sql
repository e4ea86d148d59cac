-- medscribe embedded store, initial schema. Times are INTEGER microseconds since the Unix epoch
-- (UTC), so they sort and compare exactly like PostgreSQL's timestamptz.

CREATE TABLE visits (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    version      INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    patient_id   TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    alerts       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    record       TEXT NOT NULL,
    UNIQUE (source, external_id, content_hash),
    UNIQUE (source, external_id, version)
);
CREATE INDEX visits_created ON visits (created_at DESC, id DESC);
CREATE INDEX visits_patient ON visits (patient_id, created_at DESC);
CREATE INDEX visits_status ON visits (status);

CREATE TABLE cases (
    id          TEXT PRIMARY KEY,
    visit_id    TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL DEFAULT '',
    patient_id  TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL,
    -- little-endian float32s; NULL while waiting for a reindex
    embedding   BLOB,
    embedder    TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX cases_visit ON cases (visit_id);

-- case_dims and case_embedder: the case base's embedding dimension and model.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE feedback (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id           TEXT NOT NULL,
    card_uuid            TEXT NOT NULL,
    rule_id              TEXT NOT NULL,
    outcome              TEXT NOT NULL,
    override_code        TEXT NOT NULL DEFAULT '',
    override_comment     TEXT NOT NULL DEFAULT '',
    accepted_suggestions TEXT NOT NULL DEFAULT '[]',
    outcome_timestamp    INTEGER NOT NULL,
    received_at          INTEGER NOT NULL
);
CREATE INDEX feedback_rule ON feedback (rule_id);

CREATE TABLE cards_shown (
    key      TEXT PRIMARY KEY,
    shown_at INTEGER NOT NULL
);

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    role   TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    client TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at DESC, id DESC);
CREATE INDEX audit_object ON audit (object);
CREATE INDEX audit_actor ON audit (actor);

-- The audit log is append-only: the app has no update or delete path, and the database refuses one.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    role       TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE reviews (
    visit_id   TEXT PRIMARY KEY REFERENCES visits (id),
    revision   INTEGER NOT NULL,
    note       TEXT NOT NULL,
    decisions  TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE signatures (
    visit_id   TEXT PRIMARY KEY REFERENCES visits (id),
    signed_by  TEXT NOT NULL,
    signed_at  INTEGER NOT NULL,
    note       TEXT NOT NULL,
    draft_text TEXT NOT NULL,
    diff       TEXT NOT NULL
);

-- A signature is immutable once stored: changes go in addenda.
CREATE TRIGGER signatures_no_update BEFORE UPDATE ON signatures
BEGIN
    SELECT RAISE(ABORT, 'signatures are immutable');
END;
CREATE TRIGGER signatures_no_delete BEFORE DELETE ON signatures
BEGIN
    SELECT RAISE(ABORT, 'signatures are immutable');
END;

CREATE TABLE addenda (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id TEXT NOT NULL REFERENCES visits (id),
    author   TEXT NOT NULL,
    text     TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX addenda_visit ON addenda (visit_id, id);
