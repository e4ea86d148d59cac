-- Queries of the PostgreSQL store. Each starts with a "-- name: NAME" line; parameters are $1..$N.

-- name: visit_key_lock
-- Serializes PutVisit calls for one (source, external_id) across connections and replicas,
-- so two concurrent puts of the same content make one row and new content one version.
SELECT pg_advisory_xact_lock(hashtextextended($1, 0));

-- name: visit_by_hash
SELECT record FROM visits WHERE source = $1 AND external_id = $2 AND content_hash = $3;

-- name: visit_max_version
SELECT COALESCE(MAX(version), 0) FROM visits WHERE source = $1 AND external_id = $2;

-- name: visit_insert
INSERT INTO visits (id, source, external_id, version, content_hash, patient_id, status, alerts,
                    created_at, updated_at, record)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: visit_get
SELECT record FROM visits WHERE id = $1;

-- name: visit_lock
SELECT status, source, external_id, version, content_hash, created_at, record FROM visits WHERE id = $1 FOR UPDATE;

-- name: visit_update
UPDATE visits SET status = $2, patient_id = $3, alerts = $4, updated_at = $5, record = $6 WHERE id = $1;

-- name: visit_list
SELECT id, external_id, patient_id, source, version, status, alerts, created_at, updated_at
FROM visits
WHERE ($1::text = '' OR patient_id = $1::text)
  AND ($2::text = '' OR status = $2::text)
  AND ($3::text = '' OR lower(external_id) LIKE $3 ESCAPE '\' OR lower(patient_id) LIKE $3 ESCAPE '\')
  AND (NOT $4::boolean OR created_at < $5 OR (created_at = $5 AND id < $6))
ORDER BY created_at DESC, id DESC
LIMIT $7;

-- name: visit_versions
SELECT id, external_id, patient_id, source, version, status, alerts, created_at, updated_at
FROM visits WHERE source = $1 AND external_id = $2 ORDER BY version;

-- name: visit_latest_for_patient
SELECT record FROM visits WHERE patient_id = $1 AND status <> 'failed'
ORDER BY created_at DESC, id DESC LIMIT 1;

-- name: visit_ids_with_status
SELECT id FROM visits WHERE status = ANY($1) ORDER BY created_at, id;

-- name: meta_get
SELECT value FROM meta WHERE key = $1;

-- name: meta_put_new
INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING;

-- name: meta_delete
DELETE FROM meta WHERE key = $1;

-- name: case_upsert
INSERT INTO cases (id, visit_id, external_id, patient_id, source, data, embedding, embedder, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET
    visit_id = excluded.visit_id, external_id = excluded.external_id,
    patient_id = excluded.patient_id, source = excluded.source, data = excluded.data,
    embedding = excluded.embedding, embedder = excluded.embedder, created_at = excluded.created_at;

-- name: case_get
SELECT id, visit_id, external_id, patient_id, source, data, embedding::real[], embedder, created_at
FROM cases WHERE id = $1;

-- name: case_page
SELECT id, visit_id, external_id, patient_id, source, data, embedding::real[], embedder, created_at
FROM cases WHERE id > $1 ORDER BY id LIMIT $2;

-- name: case_by_ids
SELECT id, visit_id, external_id, patient_id, source, data, embedding::real[], embedder, created_at
FROM cases WHERE id = ANY($1);

-- name: case_stats
SELECT COUNT(*), COUNT(*) FILTER (WHERE embedding IS NULL) FROM cases;

-- name: case_reset_embeddings
UPDATE cases SET embedding = NULL, embedder = '';

-- name: feedback_insert
INSERT INTO feedback (service_id, card_uuid, rule_id, outcome, override_code, override_comment,
                      accepted_suggestions, outcome_timestamp, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: feedback_summary
SELECT rule_id, outcome, override_code, COUNT(*) FROM feedback
GROUP BY rule_id, outcome, override_code ORDER BY rule_id, outcome, override_code;

-- name: card_shown_insert
INSERT INTO cards_shown (key, shown_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING;

-- name: card_shown_prune
DELETE FROM cards_shown WHERE shown_at < $1;

-- name: audit_insert
INSERT INTO audit (at, actor, role, action, object, client, detail) VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: audit_list
SELECT id, at, actor, role, action, object, client, detail FROM audit
WHERE ($1::text = '' OR actor = $1::text)
  AND ($2::text = '' OR object = $2::text)
  AND ($3::text = '' OR action = $3::text)
  AND (NOT $4::boolean OR at >= $5)
ORDER BY at DESC, id DESC
LIMIT $6;

-- name: user_put
INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
    created_at = excluded.created_at;

-- name: user_get
SELECT name, role, password_hash, created_at FROM users WHERE name = $1;

-- name: apikey_insert
INSERT INTO api_keys (id, name, role, hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6);

-- name: apikey_by_hash
SELECT id, name, role, hash, created_at, revoked_at FROM api_keys WHERE hash = $1 AND revoked_at IS NULL;

-- name: apikey_list
SELECT id, name, role, hash, created_at, revoked_at FROM api_keys ORDER BY created_at, id;

-- name: apikey_revoke
UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1;

-- name: session_put
INSERT INTO sessions (token_hash, user_name, role, csrf, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (token_hash) DO UPDATE SET user_name = excluded.user_name, role = excluded.role,
    csrf = excluded.csrf, expires_at = excluded.expires_at, created_at = excluded.created_at;

-- name: session_get
SELECT token_hash, user_name, role, csrf, expires_at, created_at FROM sessions
WHERE token_hash = $1 AND expires_at > $2;

-- name: session_delete
DELETE FROM sessions WHERE token_hash = $1;

-- name: review_get
SELECT visit_id, revision, note, decisions, updated_by, updated_at FROM reviews WHERE visit_id = $1;

-- name: review_revision
SELECT revision FROM reviews WHERE visit_id = $1 FOR UPDATE;

-- name: review_insert
INSERT INTO reviews (visit_id, revision, note, decisions, updated_by, updated_at) VALUES ($1, 1, $2, $3, $4, $5);

-- name: review_update
UPDATE reviews SET revision = revision + 1, note = $3, decisions = $4, updated_by = $5, updated_at = $6
WHERE visit_id = $1 AND revision = $2;

-- name: signature_insert
INSERT INTO signatures (visit_id, signed_by, signed_at, note, draft_text, diff) VALUES ($1, $2, $3, $4, $5, $6);

-- name: signature_get
SELECT visit_id, signed_by, signed_at, note, draft_text, diff FROM signatures WHERE visit_id = $1;

-- name: signature_list
SELECT visit_id, signed_by, signed_at, note, draft_text, diff FROM signatures ORDER BY signed_at, visit_id;

-- name: addendum_insert
INSERT INTO addenda (visit_id, author, text, at) VALUES ($1, $2, $3, $4);

-- name: addendum_list
SELECT id, visit_id, author, text, at FROM addenda WHERE visit_id = $1 ORDER BY id;

-- name: ping
SELECT 1;

-- name: vector_available
SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector');

-- name: vector_create
CREATE EXTENSION IF NOT EXISTS vector;

-- name: migrate_lock
-- Held for the whole migration so concurrent replicas starting together do not race.
SELECT pg_advisory_lock(7263736372696265);

-- name: migrate_unlock
SELECT pg_advisory_unlock(7263736372696265);

-- name: set_ef_search
SELECT set_config('hnsw.ef_search', $1, true);

-- name: set_exact
-- Forces a sequential scan (exact nearest neighbours) for this transaction: recall measurements.
SELECT set_config('enable_indexscan', 'off', true), set_config('enable_bitmapscan', 'off', true);

-- name: set_build_memory
SELECT set_config('maintenance_work_mem', $1, true);

-- name: hnsw_drop
DROP INDEX IF EXISTS cases_embedding_hnsw;

-- name: hnsw_create
-- A template: %[1]d is the recorded dimension, %[2]d m and %[3]d ef_construction. The expression
-- matches similar_cases' ORDER BY, so the planner uses the index.
CREATE INDEX IF NOT EXISTS cases_embedding_hnsw ON cases
    USING hnsw ((embedding::vector(%[1]d)) vector_cosine_ops)
    WITH (m = %[2]d, ef_construction = %[3]d);

-- name: similar_cases
-- A template: %[1]d is the recorded dimension (see hnsw_create), %[2]d how many to fetch from
-- the index (k plus the excluded ids; a literal so a cached generic plan still uses the index).
-- $1 query vector, $2 minimum score, $3 excluded ids.
SELECT id, visit_id, external_id, patient_id, source, data, NULL::real[], embedder, created_at, score
FROM (
    SELECT id, visit_id, external_id, patient_id, source, data, embedder, created_at,
           1 - (embedding::vector(%[1]d) <=> $1) AS score
    FROM cases
    ORDER BY embedding::vector(%[1]d) <=> $1
    LIMIT %[2]d
) nearest
WHERE score IS NOT NULL AND score >= $2 AND NOT (id = ANY($3))
ORDER BY score DESC, id;
