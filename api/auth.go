package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/medscribe/medscribe/store"
)

// Role is what a principal may do.
type Role string

// Roles, as ../shared/DESIGN.md's security section names them.
const (
	RolePhysician  Role = "physician"
	RoleIntegrator Role = "integrator"
	RoleQuality    Role = "quality"
	RoleAdmin      Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RolePhysician, RoleIntegrator, RoleQuality, RoleAdmin}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if string(x) == r {
			return true
		}
	}
	return false
}

// Principal is who is calling.
type Principal struct {
	// Name is the user name, or "key:<id>" for an API key.
	Name string
	Role Role
	// Method is how they authenticated: "api-key", "session", "jwt", "dev".
	Method string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Authenticator resolves a request's principal. It returns (nil, nil) when the request
// carries no credentials it understands, and an error when it carries bad ones.
type Authenticator interface {
	Authenticate(r *http.Request) (*Principal, error)
}

// ErrBadCredentials is returned for credentials that are present but wrong.
var ErrBadCredentials = errors.New("invalid credentials")

// APIKeyPrefix starts every medscribe API key, so a key is recognisable in a secret scanner.
const APIKeyPrefix = "msk_"

// NewAPIKey makes a new random key and the hash to store. The key is shown once.
func NewAPIKey() (key, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	key = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, HashAPIKey(key), nil
}

// HashAPIKey is the stored form of a key. Keys carry 256 random bits, so an unsalted
// SHA-256 is enough: there is nothing to brute-force.
func HashAPIKey(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// apiKeyAuth authenticates "Authorization: Bearer msk_…" or "X-API-Key: msk_…".
type apiKeyAuth struct{ store store.Store }

func (a apiKeyAuth) Authenticate(r *http.Request) (*Principal, error) {
	key := r.Header.Get("X-API-Key")
	if h := r.Header.Get("Authorization"); key == "" && strings.HasPrefix(h, "Bearer "+APIKeyPrefix) {
		key = strings.TrimPrefix(h, "Bearer ")
	}
	if key == "" {
		return nil, nil
	}
	k, err := a.store.APIKeyByHash(r.Context(), HashAPIKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	return &Principal{Name: "key:" + k.ID, Role: Role(k.Role), Method: "api-key"}, nil
}

// authenticate runs the authenticators in order; the first that recognises the request wins.
func (s *Server) authenticate(c *gin.Context) (*Principal, error) {
	if s.cfg.Dev {
		return &Principal{Name: "dev", Role: RoleAdmin, Method: "dev"}, nil
	}
	for _, a := range s.auths {
		p, err := a.Authenticate(c.Request)
		if err != nil || p != nil {
			return p, err
		}
	}
	return nil, nil
}

// allow is the middleware that enforces a route's roles.
func (s *Server) allow(roles []Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.authenticate(c)
		switch {
		case errors.Is(err, store.ErrUnavailable):
			s.fail(c, err)
			return
		case err != nil || p == nil:
			c.Header("WWW-Authenticate", `Bearer realm="medscribe"`)
			s.fail(c, errUnauthenticated)
			return
		}
		ok := false
		for _, r := range roles {
			if p.Role == r {
				ok = true
			}
		}
		if !ok {
			s.fail(c, errForbidden)
			return
		}
		c.Request = c.Request.WithContext(WithPrincipal(c.Request.Context(), p))
		if s.cfg.RateLimit != nil {
			s.cfg.RateLimit(c)
			return
		}
		c.Next()
	}
}
