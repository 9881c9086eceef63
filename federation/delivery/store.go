package delivery

import (
	"context"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// Store is what the worker needs of storage: claiming, releasing and
// sweeping delivery rows, and a transaction in which outcomes are settled.
// *storage.Store implements it.
type Store interface {
	ClaimDeliveries(ctx context.Context, workerID string, lease time.Duration, limit int, skipHosts []string) ([]*storage.ClaimedDelivery, error)
	DeliveryStats(ctx context.Context) (*storage.DeliveryStats, error)
	ExpireDeliveries(ctx context.Context, createdBefore time.Time, errText string) (int, error)
	PurgeDeliveries(ctx context.Context, olderThan time.Time) (int, error)
	ReleaseDeliveries(ctx context.Context, workerID string, ids []int64) (int, error)
	UnavailableHosts(ctx context.Context) ([]*storage.Host, error)
	// TxRelaxed is the transaction outcomes are settled in: its commit
	// does not wait for the disk, since losing it to a power cut only means
	// posting again (see storage.Store.TxRelaxed).
	TxRelaxed(ctx context.Context, fn func(tx *storage.Store) error) error
}

// settleStore is what settling outcomes does inside a transaction: record
// the deliveries' fate and the facts about their hosts (DeliveriesDone for
// a batch of successes).
type settleStore interface {
	DeliveriesDone(ctx context.Context, done []storage.DeliveredAnswer) (map[int64]bool, error)
	DeliveryDone(ctx context.Context, id int64, status int) error
	DeliveryFailed(ctx context.Context, id int64, status int, errText string) error
	DeliveryRetry(ctx context.Context, id int64, status int, errText string, next time.Time) error
	HoldHost(ctx context.Context, host string, until time.Time) (time.Time, error)
	HostFailed(ctx context.Context, host, errText string) (*storage.Host, error)
	HostSucceeded(ctx context.Context, host string) error
	PostponeHost(ctx context.Context, host string, until time.Time) (int, error)
	RemoveFollowersByInbox(ctx context.Context, inbox string) (int, error)
}
