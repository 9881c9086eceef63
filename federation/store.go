package federation

import (
	"context"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// Store is what the federation service needs of storage outside a
// transaction; inside one (Tx) it works on the transaction's *storage.Store.
// *storage.Store implements it.
type Store interface {
	AccountBlocked(ctx context.Context, actorIRI string) (bool, error)
	ActivityByIRI(ctx context.Context, iri string) (*storage.Activity, error)
	ActorByUsername(ctx context.Context, username string) (*storage.Actor, error)
	AddInteraction(ctx context.Context, kind, activityIRI, statementID, remoteID string) error
	ClaimInbound(ctx context.Context, limit int, lease time.Duration, maxAttempts int) ([]*storage.Activity, error)
	CountFollowers(ctx context.Context, actorID string) (int, error)
	CountFollowing(ctx context.Context, actorID string) (int, error)
	CountVisible(ctx context.Context, actorID string, at time.Time) (int, error)
	CreateActor(ctx context.Context, a *storage.Actor) error
	CreateReport(ctx context.Context, r *storage.Report) error
	DeleteRemoteObject(ctx context.Context, iri, remoteID string) error
	DomainPolicy(ctx context.Context, host string) (string, error)
	DueStatements(ctx context.Context, at time.Time, limit int) ([]string, error)
	FederationMode(ctx context.Context) (string, error)
	FinishFanOuts(ctx context.Context, startedBefore time.Time, policy storage.FanOutPolicy) (int, error)
	ListDomainPolicies(ctx context.Context) ([]storage.DomainRule, error)
	SetFederationMode(ctx context.Context, mode string) error
	FinishInbound(ctx context.Context, id string, processErr error) error
	Follower(ctx context.Context, actorID, remoteID string) (*storage.Follower, error)
	Following(ctx context.Context, actorID, remoteID string) (*storage.Following, error)
	ForgetRemoteActor(ctx context.Context, iri string) error
	InstanceActor(ctx context.Context) (*storage.Actor, error)
	IsPartner(ctx context.Context, remoteID string) (bool, error)
	ListActors(ctx context.Context) ([]*storage.Actor, error)
	ListFollowing(ctx context.Context, actorID string, offset, limit int) ([]*storage.Following, error)
	ListReplies(ctx context.Context, statementID, moderation string, limit int) ([]*storage.RemoteObject, error)
	ListStatements(ctx context.Context, q storage.StatementQuery) ([]*storage.Statement, error)
	MediaWithoutBlurhash(ctx context.Context) ([]*storage.Media, error)
	NextScheduled(ctx context.Context) (t time.Time, ok bool, err error)
	PartnerMediaPaths(ctx context.Context) (map[string]int, error)
	PartnerPostByURL(ctx context.Context, addr string) (*storage.RemoteObject, error)
	ClearPartnerMediaPath(ctx context.Context, path string) (int, error)
	PrunePartnerPosts(ctx context.Context, keep int) (int64, error)
	PruneAnswers(ctx context.Context, before time.Time) (int64, error)
	PruneInbound(ctx context.Context, bodiesBefore, rowsBefore time.Time, maxAttempts int) (bodies, rows int64, err error)
	RemoteActorByHandle(ctx context.Context, username, host string) (*storage.RemoteActor, error)
	RemoteActorByIRI(ctx context.Context, iri string) (*storage.RemoteActor, error)
	RemoteActorByKeyID(ctx context.Context, keyID string) (*storage.RemoteActor, error)
	RemoteObjectByIRI(ctx context.Context, iri string) (*storage.RemoteObject, error)
	RemoveDomainPolicy(ctx context.Context, domain string) error
	RemoveFollower(ctx context.Context, actorID, remoteID string) error
	RemoveFollowing(ctx context.Context, actorID, remoteID string) error
	RemoveInteraction(ctx context.Context, kind, activityIRI, remoteID, statementID string) (int, error)
	SaveActivity(ctx context.Context, a *storage.Activity) (bool, error)
	SetFollowingState(ctx context.Context, followIRI, actorID, remoteID, state string) error
	StatementByID(ctx context.Context, id string) (*storage.Statement, error)
	Tx(ctx context.Context, fn func(tx *storage.Store) error) (err error)
	UpdateActor(ctx context.Context, a *storage.Actor) error
	UpdateMediaFile(ctx context.Context, m *storage.Media) error
	UpsertRemoteActor(ctx context.Context, r *storage.RemoteActor) error
	UpsertRemoteObject(ctx context.Context, o *storage.RemoteObject) error
}
