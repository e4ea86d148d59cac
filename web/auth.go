package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/api/problem"
	"github.com/medscribe/medscribe/store"
)

const (
	sessionCookie = "ms_session"
	loginCookie   = "ms_login_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// HashPassword is the stored form of a password (bcrypt, cost 12).
func HashPassword(pw string) (string, error) {
	if len(pw) < 12 {
		return "", errors.New("password must have at least 12 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), 12)
	return string(h), err
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(t string) string {
	s := sha256.Sum256([]byte(t))
	return hex.EncodeToString(s[:])
}

// dummyHash makes a login for an unknown user cost as much as one for a known user, so
// timing does not tell which user names exist.
var (
	dummyOnce sync.Once
	dummyHash []byte
)

type ctxKey int

const csrfKey ctxKey = iota

// session resolves the principal: a session cookie, else dev mode, else a bearer credential
// the API accepts. Pages without one go to the login page; calls get 401.
func (u *UI) session(protect func(roles ...api.Role) gin.HandlerFunc) gin.HandlerFunc {
	bearer := protect(api.Roles...)
	return func(c *gin.Context) {
		if tok, err := c.Cookie(sessionCookie); err == nil && tok != "" {
			s, err := u.cfg.Store.GetSession(c.Request.Context(), tokenHash(tok), u.cfg.Now())
			if err == nil {
				ctx := api.WithPrincipal(c.Request.Context(), &api.Principal{Name: s.User, Role: api.Role(s.Role), Method: "session"})
				c.Request = c.Request.WithContext(context.WithValue(ctx, csrfKey, s.CSRF))
				c.Next()
				return
			}
			if errors.Is(err, store.ErrUnavailable) {
				u.fail(c, http.StatusServiceUnavailable, "the store is unavailable; retry later")
				return
			}
		}
		if u.cfg.Dev {
			ctx := api.WithPrincipal(c.Request.Context(), &api.Principal{Name: "dev", Role: api.RolePhysician, Method: "dev"})
			c.Request = c.Request.WithContext(context.WithValue(ctx, csrfKey, "dev"))
			c.Next()
			return
		}
		if c.GetHeader("Authorization") != "" || c.GetHeader("X-API-Key") != "" {
			bearer(c) // a machine or an OIDC proxy in front: the API's authenticators decide
			return
		}
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/ui/login")
			c.Abort()
			return
		}
		u.fail(c, http.StatusUnauthorized, "log in first")
	}
}

// roles refuses principals whose role is not listed.
func (u *UI) roles(roles ...api.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := api.PrincipalFrom(c.Request.Context())
		for _, r := range roles {
			if p != nil && p.Role == r {
				c.Next()
				return
			}
		}
		u.fail(c, http.StatusForbidden, "your role may not do this")
	}
}

// csrf requires the session's CSRF token in the X-CSRF-Token header (or form field) of
// every state-changing request. Bearer-authenticated calls carry no cookie, so need none.
func (u *UI) csrf() gin.HandlerFunc {
	return func(c *gin.Context) {
		want, _ := c.Request.Context().Value(csrfKey).(string)
		if want == "" {
			c.Next() // bearer credential: not a browser session
			return
		}
		got := c.GetHeader(csrfHeader)
		if got == "" {
			got = c.PostForm("csrf")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			u.fail(c, http.StatusForbidden, "missing or wrong CSRF token: reload the page")
			return
		}
		c.Next()
	}
}

func (u *UI) fail(c *gin.Context, status int, detail string) {
	problem.Error(c.Writer, c.Request, status, detail)
	c.Abort()
}

func (u *UI) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/ui", MaxAge: maxAge,
		HttpOnly: true, Secure: u.secure, SameSite: http.SameSiteStrictMode})
}

func (u *UI) loginPage(c *gin.Context) {
	tok := randomToken()
	u.setCookie(c, loginCookie, tok, 600)
	u.render(c, http.StatusOK, "login.html", map[string]any{"CSRF": tok, "Error": c.Query("error")})
}

// login checks the password and starts a session. The login form is protected by a
// double-submit token so another site cannot log a browser in as someone else.
func (u *UI) login(c *gin.Context) {
	want, err := c.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(c.PostForm("csrf"))) != 1 {
		c.Redirect(http.StatusSeeOther, "/ui/login?error=expired")
		return
	}
	name := strings.TrimSpace(c.PostForm("user"))
	usr, err := u.cfg.Store.GetUser(c.Request.Context(), name)
	if err == nil && bcrypt.CompareHashAndPassword([]byte(usr.PasswordHash), []byte(c.PostForm("password"))) == nil {
		tok := randomToken()
		now := u.cfg.Now().UTC()
		s := store.Session{TokenHash: tokenHash(tok), User: usr.Name, Role: usr.Role, CSRF: randomToken(), CreatedAt: now, ExpiresAt: now.Add(u.cfg.SessionTTL)}
		if err := u.cfg.Store.PutSession(c.Request.Context(), s); err != nil {
			u.fail(c, http.StatusServiceUnavailable, "could not start a session; retry")
			return
		}
		u.auditAs(c, usr.Name, usr.Role, "login", "user:"+usr.Name)
		u.setCookie(c, loginCookie, "", -1)
		u.setCookie(c, sessionCookie, tok, int(u.cfg.SessionTTL/time.Second))
		c.Redirect(http.StatusSeeOther, "/ui")
		return
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		u.fail(c, http.StatusServiceUnavailable, "the store is unavailable; retry later")
		return
	}
	dummyOnce.Do(func() { dummyHash, _ = bcrypt.GenerateFromPassword([]byte(randomToken()), 12) })
	_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(c.PostForm("password"))) // same time for unknown users
	u.auditAs(c, name, "", "login failed", "user:"+name)
	c.Redirect(http.StatusSeeOther, "/ui/login?error=invalid")
}

func (u *UI) logout(c *gin.Context) {
	if tok, err := c.Cookie(sessionCookie); err == nil {
		_ = u.cfg.Store.DeleteSession(c.Request.Context(), tokenHash(tok))
	}
	u.setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/ui/login")
}

// audit writes one audit event for the current principal.
func (u *UI) audit(c *gin.Context, action, object string) {
	p := api.PrincipalFrom(c.Request.Context())
	name, role := "", ""
	if p != nil {
		name, role = p.Name, string(p.Role)
	}
	u.auditAs(c, name, role, action, object)
}

func (u *UI) auditAs(c *gin.Context, actor, role, action, object string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	ev := store.AuditEvent{At: u.cfg.Now().UTC(), Actor: actor, Role: role, Action: "ui " + action, Object: object, Client: c.ClientIP()}
	if err := u.cfg.Store.AppendAudit(ctx, ev); err != nil {
		u.log.ErrorContext(ctx, "audit write failed", "action", ev.Action, "object", object, "err", err)
	}
}
