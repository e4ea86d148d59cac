// Package oidc authenticates callers of medscribe's REST API by OAuth 2.0 / OpenID Connect
// bearer JWTs issued by one configured identity provider. It owns discovery of the issuer's
// key set, the cached and rate-limited refresh of that key set, the verification of a token
// (signature with asymmetric algorithms only, issuer, audience, lifetime) and the mapping of
// the IdP's role claim to medscribe's roles. It implements api.Authenticator and leaves
// medscribe API keys ("msk_…") to the API-key authenticator.
package oidc
