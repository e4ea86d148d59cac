package cds

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseJWKSKeepsCDSAlgorithms: key parsing is internal/jwks's (tested there); the CDS
// service keeps the keys that fit an algorithm CDS Hooks allows, each for its own curve.
func TestParseJWKSKeepsCDSAlgorithms(t *testing.T) {
	t.Parallel()
	k := getKeys(t)
	ed, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	b, _ := json.Marshal(map[string]any{"keys": []any{
		ecJWK("p256", &k.es256.PublicKey), rsaJWK("rsa", &k.rsa.PublicKey),
		map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64u(ed)}, // EdDSA: not a CDS Hooks algorithm
	}})
	keys, skipped, err := parseJWKS(b)
	require.NoError(t, err)
	assert.Equal(t, 1, skipped)
	require.Len(t, keys, 2)
	var fits []string
	for _, alg := range allowedAlgs {
		if keys[0].fits(alg) {
			fits = append(fits, alg)
		}
	}
	assert.Equal(t, []string{"ES256"}, fits, "an EC key verifies only its curve's algorithm")
	assert.True(t, keys[1].fits("PS384"))
	assert.False(t, keys[1].fits("ES384"))

	edOnly, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64u(ed)}}})
	_, _, err = parseJWKS(edOnly)
	assert.ErrorContains(t, err, "no usable signature key")
}
