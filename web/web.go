package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the UI. Store is required.
type Config struct {
	Store store.Store
	// Dev signs every visitor in as a physician named "dev" (matches `serve --dev`).
	Dev bool
	// SecureCookies marks cookies Secure (HTTPS only); default true unless Dev.
	SecureCookies *bool
	// SessionTTL defaults to 12 hours.
	SessionTTL time.Duration
	// AudioDir is where visit recordings are kept, for playback.
	AudioDir string
	Logger   *slog.Logger
	Now      func() time.Time
}

// UI serves /ui.
type UI struct {
	cfg    Config
	tmpl   *template.Template
	secure bool
	log    *slog.Logger
}

// New builds the UI.
func New(cfg *Config) (*UI, error) {
	c := *cfg
	if c.Store == nil {
		return nil, errors.New("web: Config.Store is required")
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	secure := !c.Dev
	if c.SecureCookies != nil {
		secure = *c.SecureCookies
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &UI{cfg: c, tmpl: t, secure: secure, log: c.Logger}, nil
}

// Mount registers the UI's routes. Every page but the login page requires a session (or a
// bearer credential that the API accepts, through protect).
func (u *UI) Mount(r *gin.Engine, protect func(roles ...api.Role) gin.HandlerFunc) {
	static, _ := fs.Sub(staticFS, "static")
	r.GET("/ui/static/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.FileFromFS(c.Param("file"), http.FS(static))
	})
	r.GET("/ui/login", u.loginPage)
	r.POST("/ui/login", u.login)
	g := r.Group("/ui", u.session(protect))
	g.POST("/logout", u.csrf(), u.logout)
	g.GET("", u.roles(api.RolePhysician, api.RoleQuality, api.RoleAdmin), u.listPage)
	g.GET("/visits/:id", u.roles(api.RolePhysician, api.RoleAdmin), u.reviewPage)
	g.GET("/visits/:id/audio", u.roles(api.RolePhysician, api.RoleAdmin), u.audio)
	g.GET("/visits/:id/document-reference", u.roles(api.RolePhysician, api.RoleAdmin), u.documentReference)
	g.POST("/visits/:id/review", u.roles(api.RolePhysician), u.csrf(), u.saveReview)
	g.POST("/visits/:id/sign", u.roles(api.RolePhysician), u.csrf(), u.sign)
	g.POST("/visits/:id/addendum", u.roles(api.RolePhysician), u.csrf(), u.addendum)
	g.GET("/quality", u.roles(api.RoleQuality, api.RoleAdmin), u.qualityPage)
}

// Routes lists the UI's routes with their roles, for the README and the access tests.
func Routes() []api.Rule {
	clin := []api.Role{api.RolePhysician, api.RoleAdmin}
	return []api.Rule{
		{Method: "GET", Path: "/ui/login", Public: true, Summary: "login page"},
		{Method: "POST", Path: "/ui/login", Public: true, Summary: "log in"},
		{Method: "GET", Path: "/ui/static/*file", Public: true, Summary: "embedded script and styles"},
		{Method: "POST", Path: "/ui/logout", Roles: api.Roles, Summary: "log out"},
		{Method: "GET", Path: "/ui", Roles: []api.Role{api.RolePhysician, api.RoleQuality, api.RoleAdmin}, Summary: "visit list (quality: de-identified)"},
		{Method: "GET", Path: "/ui/visits/:id", Roles: clin, PHI: true, Summary: "review a visit"},
		{Method: "GET", Path: "/ui/visits/:id/audio", Roles: clin, PHI: true, Summary: "the visit's recording"},
		{Method: "GET", Path: "/ui/visits/:id/document-reference", Roles: clin, PHI: true, Summary: "signed note as FHIR DocumentReference"},
		{Method: "POST", Path: "/ui/visits/:id/review", Roles: []api.Role{api.RolePhysician}, PHI: true, Summary: "save edits and decisions"},
		{Method: "POST", Path: "/ui/visits/:id/sign", Roles: []api.Role{api.RolePhysician}, PHI: true, Summary: "sign the note"},
		{Method: "POST", Path: "/ui/visits/:id/addendum", Roles: []api.Role{api.RolePhysician}, PHI: true, Summary: "add an addendum to a signed note"},
		{Method: "GET", Path: "/ui/quality", Roles: []api.Role{api.RoleQuality, api.RoleAdmin}, Summary: "edit rates and CDS feedback"},
	}
}
