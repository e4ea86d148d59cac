// Package ingest owns the visit pipeline: a submission (transcript turns or audio) becomes a
// stored visit, and a durable job turns it into a draft: speech recognition when needed,
// extraction, note drafting, CDS alerts and the similar-case index.
//
// Jobs run on River (PostgreSQL driver in production, its SQLite driver on the embedded
// store), with retries and backoff. Ingestion is idempotent: the same source, external id and
// content hash is the same visit; new content for an external id becomes a new version. A
// visit whose processing fails for good is marked failed with its reason, and a restart
// resumes every visit still queued or processing.
//
// Input formats live in ingest/transcript, audio in ingest/asr.
package ingest
