package web

import (
	"context"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/admin"
)

// Store is what the web side reads directly for pages, feeds and probes;
// everything that changes state goes through federation. *storage.Store
// implements it.
type Store interface {
	admin.Store // what the admin interface under /admin uses
	ActivityByID(ctx context.Context, id string) (*storage.Activity, error)
	ActorByID(ctx context.Context, id string) (*storage.Actor, error)
	ActorByUsername(ctx context.Context, username string) (*storage.Actor, error)
	ActorsChanged(ctx context.Context) (time.Time, error)
	CountFollowers(ctx context.Context, actorID string) (int, error)
	CountVisible(ctx context.Context, actorID string, at time.Time) (int, error)
	InteractionCounts(ctx context.Context, statementID string) (storage.Counts, error)
	Languages(ctx context.Context, at time.Time) ([]string, error)
	ListActors(ctx context.Context) ([]*storage.Actor, error)
	ListReplies(ctx context.Context, statementID, moderation string, limit int) ([]*storage.RemoteObject, error)
	ListStatements(ctx context.Context, q storage.StatementQuery) ([]*storage.Statement, error)
	MediaByPath(ctx context.Context, path string) (*storage.Media, error)
	MigrationStatus(ctx context.Context) (storage.MigrationStatus, error)
	NodeSettings(ctx context.Context) (storage.NodeSettings, error)
	SearchStatements(ctx context.Context, query string, at time.Time, limit, offset int) ([]*storage.Statement, error)
	StatementByID(ctx context.Context, id string) (*storage.Statement, error)
	StatementBySlug(ctx context.Context, actorID, slug string) (*storage.Statement, error)
	Ping(ctx context.Context) error
	// The partner network (partners.go).
	ListPartners(ctx context.Context) ([]*storage.RemoteActor, error)
	PartnerPosts(ctx context.Context, remoteID string, before *storage.Cursor, limit int) ([]*storage.RemoteObject, error)
	PartnerVersion(ctx context.Context) (string, error)
	StatementsVersion(ctx context.Context, q storage.StatementQuery) (n int, newest time.Time, err error)
}
