package admin

import (
	"context"
	"crypto/sha256"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/i18n"
)

// Store is what the admin interface reads and changes directly.
// *storage.Store implements it.
type Store interface {
	ActorByUsername(ctx context.Context, username string) (*storage.Actor, error)
	ListActors(ctx context.Context) ([]*storage.Actor, error)
	CountFollowers(ctx context.Context, actorID string) (int, error)
	CountVisible(ctx context.Context, actorID string, at time.Time) (int, error)

	UserByUsername(ctx context.Context, username string) (*storage.User, error)
	UserByID(ctx context.Context, id string) (*storage.User, error)
	UserActors(ctx context.Context, userID string) ([]string, error)
	SetPassword(ctx context.Context, userID, hash string) error
	SetUserLanguage(ctx context.Context, userID, lang string) error

	CreateSession(ctx context.Context, userID, userAgent string, ttl time.Duration) (string, error)
	UserBySession(ctx context.Context, token string) (*storage.User, error)
	TouchSession(ctx context.Context, token string, ttl time.Duration) error
	DeleteSession(ctx context.Context, token string) error
	ListSessions(ctx context.Context, userID string) ([]*storage.ListedSession, error)
	RevokeSession(ctx context.Context, userID, sessionID string) error
	DeleteExpiredSessions(ctx context.Context) (int, error)

	// Writing (statements.go).
	StatementByID(ctx context.Context, id string) (*storage.Statement, error)
	ListAdminStatements(ctx context.Context, q storage.AdminStatementQuery) ([]*storage.Statement, int, error)

	// Users and node settings (users.go, profile.go).
	ListUsers(ctx context.Context) ([]*storage.User, error)
	NodeSettings(ctx context.Context) (storage.NodeSettings, error)
	SetNodeSettings(ctx context.Context, n storage.NodeSettings) error
	DeleteUser(ctx context.Context, userID string) error
	Tx(ctx context.Context, fn func(tx *storage.Store) error) error

	// The network (network*.go).
	ListFollowers(ctx context.Context, actorID, state string, offset, limit int) ([]*storage.Follower, error)
	ListFollowing(ctx context.Context, actorID string, offset, limit int) ([]*storage.Following, error)
	ListActorReplies(ctx context.Context, actorID, moderation string, limit int) ([]*storage.RemoteObject, error)
	ReplyByID(ctx context.Context, id string) (*storage.RemoteObject, error)
	SetModeration(ctx context.Context, id, state string) error
	ListReports(ctx context.Context, resolved bool, limit int) ([]*storage.ListedReport, error)
	ReportByID(ctx context.Context, id string) (*storage.ListedReport, error)
	ResolveReport(ctx context.Context, id string) error
	ListDomainPolicies(ctx context.Context) ([]storage.DomainRule, error)
	DeliveryStats(ctx context.Context) (*storage.DeliveryStats, error)
	NextAttempt(ctx context.Context, host string) (time.Time, error)
	HostByName(ctx context.Context, host string) (*storage.Host, error)
	RetryDeliveries(ctx context.Context, host string) (int, error)
	ListAccountBlocks(ctx context.Context) ([]storage.AccountBlock, error)

	// The partners (partners.go).
	PartnerPosts(ctx context.Context, remoteID string, before *storage.Cursor, limit int) ([]*storage.RemoteObject, error)
	ListRelays(ctx context.Context, actorID string, limit int) ([]*storage.Relay, error)
	RemoteObjectByIRI(ctx context.Context, iri string) (*storage.RemoteObject, error)
	Following(ctx context.Context, actorID, remoteID string) (*storage.Following, error)
}

// Config is what the admin interface needs besides its store.
type Config struct {
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SessionTTL is how long a session lasts without use; 0 means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Throttle bounds failed sign-ins; zero fields get the defaults.
	Throttle ThrottleConfig
	// DefaultLanguage is the node's interface language now (its settings
	// may change while it runs), for a request whose user and browser
	// choose none of the shipped ones (language.go); nil, or a language
	// not shipped, means the language New was given.
	DefaultLanguage func(ctx context.Context) string
}

// DefaultSessionTTL is how long an unused session lasts: each request
// pushes its end this far ahead again.
const DefaultSessionTTL = 14 * 24 * time.Hour

// Handler is the admin interface: its routes, pages and guards.
type Handler struct {
	cfg      Config
	store    Store
	fed      *federation.Service
	iri      iri.Builder
	log      *slog.Logger
	views    map[string]*view // per interface language (language.go)
	langs    *i18n.Set        // the shipped languages, for Accept-Language
	def      string           // the language New was given
	throttle *throttle
	secure   bool   // cookies are Secure: the node is on https
	dummy    []byte // a bcrypt hash compared against for unknown users
}

//go:embed templates/*.html static/*
var files embed.FS

// New builds the admin interface of the node served by fed. It speaks
// each editor's language (language.go); ui is the node's default, for
// requests that choose none.
func New(cfg Config, store Store, fed *federation.Service, ui *i18n.UI) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	views, err := newViews(ui)
	if err != nil {
		return nil, err
	}
	langs, err := i18n.Shipped()
	if err != nil {
		return nil, fmt.Errorf("admin: message catalogues: %w", err)
	}
	dummy, err := storage.HashPassword(fmt.Sprintf("%x", sha256.Sum256([]byte("tadamun dummy password"))))
	if err != nil {
		return nil, fmt.Errorf("admin: dummy hash: %w", err)
	}
	b := fed.IRI()
	return &Handler{cfg: cfg, store: store, fed: fed, iri: b, log: cfg.Logger, views: views, langs: langs, def: ui.Lang(),
		throttle: newThrottle(cfg.Throttle, cfg.Now), secure: b.Scheme() == "https", dummy: []byte(dummy)}, nil
}

// Register puts the admin routes on g, the group at iri.AdminPrefix. This is
// the admin interface's one route table.
func (h *Handler) Register(g *echo.Group) {
	g.Use(h.frame, h.session, h.csrf)
	g.GET("/static/*", h.static)
	g.GET(iri.AdminLogin, h.loginForm)
	g.POST(iri.AdminLogin, h.login)
	g.POST(iri.AdminLogout, h.logout)

	u := g.Group("", h.requireUser)
	u.GET("", h.dashboard)
	u.GET("/", h.dashboard)
	u.GET(iri.AdminAccount, h.account)
	u.POST(iri.AdminAccount+"/password", h.changePassword)
	u.POST(iri.AdminAccount+"/sessions/:id/revoke", h.revokeSession)
	u.GET(iri.AdminActors+":username", h.actorPage)
	u.POST(languagePath, h.chooseLanguage)
	h.registerWriting(u)
	h.registerProfile(u)
	h.registerNetwork(u)
	h.registerPartners(u)
}
