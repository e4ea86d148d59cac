-- medscribe PostgreSQL store, initial schema. The vector extension is created before migrations
-- run (the store checks it is available first, to give a clear error).

CREATE TABLE visits (
    id           text PRIMARY KEY,
    source       text NOT NULL,
    external_id  text NOT NULL,
    version      integer NOT NULL,
    content_hash text NOT NULL,
    patient_id   text NOT NULL DEFAULT '',
    status       text NOT NULL,
    alerts       integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    record       jsonb NOT NULL,
    UNIQUE (source, external_id, content_hash),
    UNIQUE (source, external_id, version)
);
CREATE INDEX visits_created ON visits (created_at DESC, id DESC);
CREATE INDEX visits_patient ON visits (patient_id, created_at DESC);
CREATE INDEX visits_status ON visits (status);

-- embedding is an untyped vector: its dimension is the one recorded in meta (case_dims), and
-- the HNSW index is an expression index on embedding::vector(case_dims), made when the
-- dimension is first recorded.
CREATE TABLE cases (
    id          text PRIMARY KEY,
    visit_id    text NOT NULL DEFAULT '',
    external_id text NOT NULL DEFAULT '',
    patient_id  text NOT NULL DEFAULT '',
    source      text NOT NULL DEFAULT '',
    data        jsonb NOT NULL,
    embedding   vector,
    embedder    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX cases_visit ON cases (visit_id);

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE feedback (
    id                   bigserial PRIMARY KEY,
    service_id           text NOT NULL,
    card_uuid            text NOT NULL,
    rule_id              text NOT NULL,
    outcome              text NOT NULL,
    override_code        text NOT NULL DEFAULT '',
    override_comment     text NOT NULL DEFAULT '',
    accepted_suggestions jsonb NOT NULL DEFAULT '[]',
    outcome_timestamp    timestamptz NOT NULL,
    received_at          timestamptz NOT NULL
);
CREATE INDEX feedback_rule ON feedback (rule_id);

CREATE TABLE cards_shown (
    key      text PRIMARY KEY,
    shown_at timestamptz NOT NULL
);

CREATE TABLE audit (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL,
    actor  text NOT NULL,
    role   text NOT NULL,
    action text NOT NULL,
    object text NOT NULL,
    client text NOT NULL,
    detail text NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at DESC, id DESC);
CREATE INDEX audit_object ON audit (object);
CREATE INDEX audit_actor ON audit (actor);

-- The audit log is append-only: the app has no update or delete path, and the database refuses one.
CREATE FUNCTION medscribe_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION medscribe_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION medscribe_refuse_change();

CREATE TABLE users (
    name          text PRIMARY KEY,
    role          text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    role       text NOT NULL,
    hash       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_name  text NOT NULL,
    role       text NOT NULL,
    csrf       text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE reviews (
    visit_id   text PRIMARY KEY REFERENCES visits (id),
    revision   integer NOT NULL,
    note       jsonb NOT NULL,
    decisions  jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE signatures (
    visit_id   text PRIMARY KEY REFERENCES visits (id),
    signed_by  text NOT NULL,
    signed_at  timestamptz NOT NULL,
    note       jsonb NOT NULL,
    draft_text text NOT NULL,
    diff       text NOT NULL
);
-- A signature is immutable once stored: changes go in addenda.
CREATE TRIGGER signatures_immutable BEFORE UPDATE OR DELETE ON signatures
    FOR EACH ROW EXECUTE FUNCTION medscribe_refuse_change();

CREATE TABLE addenda (
    id       bigserial PRIMARY KEY,
    visit_id text NOT NULL REFERENCES visits (id),
    author   text NOT NULL,
    text     text NOT NULL,
    at       timestamptz NOT NULL
);
CREATE INDEX addenda_visit ON addenda (visit_id, id);
