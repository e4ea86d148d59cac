// Package embed owns case embeddings for similar-case retrieval: one small interface, an
// offline embedder that needs no model, and an OpenAI-compatible embeddings client.
//
// The offline embedder is deterministic and concept-aware: each case becomes a bag of
// features (vocabulary codes and normalized terms of its problems, drugs with their classes,
// and findings, with denied findings kept apart), each weighted by inverse document frequency
// and hashed into a fixed dimension with a sign bit (the hashing trick), then L2-normalized.
// Two patients with the same problems and drugs come out close even when the words differ
// ("high blood pressure" and "HTN" both map to ICD-10-CM I10).
package embed
