// Package ratelimit owns per-principal request rate limiting for medscribe's HTTP API: one
// token bucket per caller (an API key, a user, or an anonymous client address), kept in
// bounded memory, and the 429 problem+json answer with Retry-After when a caller is over
// its rate.
package ratelimit
