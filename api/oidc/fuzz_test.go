package oidc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medscribe/medscribe/api"
)

// FuzzAuthenticate feeds arbitrary Authorization headers: the authenticator must never
// panic, must never accept a token it cannot verify, and must answer either "not mine"
// (nil, nil) or a bad-credentials error.
func FuzzAuthenticate(f *testing.F) {
	testKeys(f)
	p := newIDP(f, rsaKey, ecKey, edKey)
	// The clock stands an hour after the seed token expired, so no input can be valid.
	a, _ := newAuth(f, p, func(c *Config) { c.Now = func() time.Time { return t0.Add(time.Hour) } })
	good := sign(f, rsaKey, claimsAt(p.srv.URL, t0))
	parts := strings.Split(good, ".")
	for _, s := range []string{
		"Bearer " + good,
		"Bearer " + parts[0] + "." + parts[1] + ".",
		"Bearer " + parts[0] + ".." + parts[2],
		"Bearer eyJhbGciOiJub25lIn0.e30.",
		"Bearer eyJhbGciOiJIUzI1NiIsImtpZCI6InJzYS0xIn0.e30.c2ln",
		"Bearer eyJhbGciOiJFUzM4NCIsImNyaXQiOlsiYiJdfQ.e30.AAAA",
		"Bearer e30.e30.e30",
		"bearer a.b.c",
		"Bearer msk_x.y.z",
		"Basic Zm9vOmJhcg==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, authz string) {
		pr, err := a.Authenticate(request(authz))
		if pr != nil {
			t.Fatalf("accepted an unverifiable token: %+v", pr)
		}
		if err != nil && !errors.Is(err, api.ErrBadCredentials) {
			t.Fatalf("error %v does not wrap ErrBadCredentials", err)
		}
	})
}
