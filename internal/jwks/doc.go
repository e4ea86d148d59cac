// Package jwks reads JSON Web Key Sets (RFC 7517, with the key types of RFC 7518 and RFC 8037)
// into verification keys, and says which key may verify which JWS algorithm. It is the one
// place medscribe parses keys it trusts: the CDS Hooks service (EHR client keys) and the OIDC
// authenticator (identity provider keys) both use it, and read a token's algorithm with
// HeaderAlg before verifying it. Fetching and caching key sets stay with
// those callers, which have different trust and refresh rules.
package jwks
