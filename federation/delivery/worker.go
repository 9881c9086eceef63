package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// Poster sends one signed activity to one inbox; *transport.Client is one.
// A non-2xx answer comes back as a *transport.StatusError.
type Poster interface {
	Post(ctx context.Context, inbox string, body []byte, signer *transport.Signer) (*transport.Response, error)
}

// Defaults for the zero values of Config.
const (
	DefaultWorkers    = 32
	DefaultPerHost    = 2
	DefaultLease      = 2 * time.Minute
	DefaultMaxAge     = 7 * 24 * time.Hour
	DefaultPoll       = time.Second
	DefaultTimeout    = 30 * time.Second
	DefaultRetryBase  = 30 * time.Second
	DefaultMaxBackoff = 12 * time.Hour
	DefaultKeepDone   = 30 * 24 * time.Hour

	// The dead-host rule: DeadHostFailures failures in a row spanning at
	// least DeadHostSpan put a host on hold, and a held host gets one
	// attempt per DeadHostRetry. See Config.
	DefaultDeadHostFailures = 10
	DefaultDeadHostSpan     = time.Hour
	DefaultDeadHostRetry    = time.Hour
)

// firstClaim is the most rows an idle worker claims at once; see claim.
const firstClaim = 4

// Housekeeping intervals of Run.
const (
	statsEvery    = 10 * time.Second // the queue gauge
	hostsEvery    = time.Minute      // the list of unavailable hosts
	sweepEvery    = 10 * time.Minute // giving up on old rows, purging done ones
	recordTimeout = 10 * time.Second // writing an outcome, even during shutdown
)

// Config configures a Worker.
type Config struct {
	// WorkerID names this worker in the rows it leases (locked_by). Empty
	// means host name, process id and a random suffix.
	WorkerID string
	// Workers is how many posts may be under way at once (default 32;
	// signatures, the CPU-bound part, run one per core however many).
	Workers int
	// PerHost is how many posts may be under way to one host (default 2).
	PerHost int
	// Lease is how long a claimed row stays ours (default 2m): if this
	// process dies, another claims the row after that. It must exceed twice
	// Timeout, or a slow post could be claimed and sent again while it is
	// still under way.
	Lease time.Duration
	// MaxAge is how long after an activity was created its deliveries are
	// retried (default a week).
	MaxAge time.Duration
	// Poll is how often Run looks for due rows when nothing wakes it
	// (default 1s). Notify wakes it at once.
	Poll time.Duration
	// Timeout bounds one post (default 30s or a third of Lease, whichever
	// is less; the transport has its own, usually shorter, limits).
	// Shutdown waits at most this long for posts under way.
	Timeout time.Duration
	// RetryBase is the first retry delay (default 30s); each further
	// failure doubles it, up to MaxBackoff (default 12h).
	RetryBase  time.Duration
	MaxBackoff time.Duration
	// KeepDone is how long delivered rows are kept before Run deletes them
	// (default 30 days; negative keeps them forever).
	KeepDone time.Duration
	// DeadHostFailures and DeadHostSpan are the dead-host rule: a host that
	// has failed DeadHostFailures deliveries in a row (default 10; no
	// answer, 408, 429 or 5xx) over at least DeadHostSpan (default an hour,
	// measured from the run's first failure, storage.Host.FailingSince) is
	// put on hold. Both must hold, so that neither a burst of failures in a
	// short outage or a restart (a fan-out fails many rows in seconds) nor
	// an hour with one stray failure takes a host off the queue.
	DeadHostFailures int
	DeadHostSpan     time.Duration
	// DeadHostRetry is how long a held host waits between attempts (default
	// an hour): its queue is parked and one delivery probes it each time;
	// the first success lifts the hold.
	DeadHostRetry time.Duration
	// KeyID builds the id of an actor's public key, e.g.
	// "https://host/users/NAME#main-key". Required.
	KeyID func(username string, isInstance bool) string
	// Logger receives one line per outcome. Nil discards.
	Logger *slog.Logger
	// Metrics, when set, receives the delivery metrics.
	Metrics prometheus.Registerer
	// Now is the clock for retry times and ages. Nil means time.Now.
	Now func() time.Time
}

// Worker delivers queued activities. One Worker per process is enough: it
// runs up to Config.Workers posts at once.
type Worker struct {
	cfg    Config
	store  Store
	poster Poster
	log    *slog.Logger
	m      *metrics // nil without Config.Metrics
	keys   keyCache
	wake   chan struct{}
	settle chan *settlement // to the recorder

	mu          sync.Mutex
	ready       []*storage.ClaimedDelivery // claimed, not yet started
	load        map[string]int             // host -> rows ready or under way
	busy        int                        // posts under way
	unavailable map[string]bool
}

// New checks cfg, fills in defaults and makes a Worker. Call Run to start it.
func New(cfg Config, store Store, poster Poster) (*Worker, error) {
	if store == nil || poster == nil {
		return nil, errors.New("delivery: a store and a poster are required")
	}
	if cfg.KeyID == nil {
		return nil, errors.New("delivery: Config.KeyID is required")
	}
	if cfg.WorkerID == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		cfg.WorkerID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	setDefault(&cfg.Workers, DefaultWorkers)
	setDefault(&cfg.PerHost, DefaultPerHost)
	setDefault(&cfg.Lease, DefaultLease)
	setDefault(&cfg.MaxAge, DefaultMaxAge)
	setDefault(&cfg.Poll, DefaultPoll)
	setDefault(&cfg.RetryBase, DefaultRetryBase)
	setDefault(&cfg.MaxBackoff, DefaultMaxBackoff)
	setDefault(&cfg.DeadHostFailures, DefaultDeadHostFailures)
	setDefault(&cfg.DeadHostSpan, DefaultDeadHostSpan)
	setDefault(&cfg.DeadHostRetry, DefaultDeadHostRetry)
	if cfg.KeepDone == 0 {
		cfg.KeepDone = DefaultKeepDone
	}
	// A claimed row may wait for one round of posts before its own starts,
	// so the lease must cover two posts and then some.
	if cfg.Timeout <= 0 {
		cfg.Timeout = min(DefaultTimeout, cfg.Lease/3)
	}
	if cfg.Lease <= 2*cfg.Timeout {
		return nil, fmt.Errorf("delivery: the lease (%s) must be longer than twice the request timeout (%s)", cfg.Lease, cfg.Timeout)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Worker{cfg: cfg, store: store, poster: poster, log: cfg.Logger, wake: make(chan struct{}, 1),
		load: map[string]int{}, unavailable: map[string]bool{}, keys: keyCache{keys: map[string]cachedKey{}}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With(slog.String("worker", cfg.WorkerID))
	if cfg.Metrics != nil {
		m, err := newMetrics(cfg.Metrics)
		if err != nil {
			return nil, fmt.Errorf("delivery: metrics: %w", err)
		}
		w.m = m
	}
	return w, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Notify wakes Run to look for due rows now, e.g. right after a publish
// queued some. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run claims and delivers due rows until ctx is done. Then it stops
// claiming, hands back the rows it claimed but had not started, and waits
// for the posts under way (each bounded by Config.Timeout) and their
// bookkeeping; a row whose outcome cannot be recorded goes back to the
// queue when its lease runs out. It returns nil after a shutdown. Run must
// not be called again before it has returned.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	w.settle = make(chan *settlement, settleQueue*w.cfg.Workers)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		w.recorder(ctx, w.settle)
	}()
	w.log.Info("delivery worker started", slog.Int("workers", w.cfg.Workers), slog.Int("per_host", w.cfg.PerHost),
		slog.Duration("lease", w.cfg.Lease), slog.Duration("timeout", w.cfg.Timeout))
	var nextStats, nextHosts, nextSweep time.Time
	timer := time.NewTimer(w.cfg.Poll)
	defer timer.Stop()
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(nextHosts) {
			w.refreshHosts(ctx)
			nextHosts = now.Add(hostsEvery)
		}
		if !now.Before(nextSweep) {
			w.sweep(ctx)
			nextSweep = now.Add(sweepEvery)
		}
		if w.m != nil && !now.Before(nextStats) {
			w.refreshQueueGauge(ctx)
			nextStats = now.Add(statsEvery)
		}
		w.start(ctx, &wg)
		n, err := w.claim(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error("claim deliveries", slog.String("err", err.Error()))
		}
		if n > 0 {
			continue // start them; there may be more due
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(w.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-timer.C:
		}
	}
	w.release(ctx)
	w.mu.Lock()
	busy := w.busy
	w.mu.Unlock()
	w.log.Info("delivery worker stopping", slog.Int("in_flight", busy))
	wg.Wait()
	close(w.settle)
	<-recorded
	w.log.Info("delivery worker stopped")
	return nil
}

// claim tops up the rows on hand: when fewer than Workers are ready or under
// way, it leases up to twice that many, so that a freed worker starts at
// once and a claim (a database write) serves many posts. Hosts whose rows
// on hand have reached their limit are skipped, so every ready row can
// start as soon as a worker is free. It returns how many it claimed.
func (w *Worker) claim(ctx context.Context) (int, error) {
	w.mu.Lock()
	have := w.busy + len(w.ready)
	// An idle worker starts small: a claim of a few rows commits in a
	// fraction of the time of a full one, so the first posts (and their
	// signatures) start at once while the next claims, twice as large
	// each, fill the rest.
	if have > w.cfg.Workers {
		// Enough on hand: this is asked after every post, so it stays cheap.
		w.mu.Unlock()
		return 0, nil
	}
	limit := min(2*w.cfg.Workers-have, max(firstClaim, 2*have))
	var skip []string
	for host, n := range w.load {
		if n >= w.hostLimit(host) {
			skip = append(skip, host)
		}
	}
	w.mu.Unlock()
	// A claim is not cut short by shutdown: the rows it leases are handed
	// back by release, instead of waiting out their lease.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	list, err := w.store.ClaimDeliveries(cctx, w.cfg.WorkerID, w.cfg.Lease, limit, skip)
	if err != nil {
		return 0, err
	}
	w.mu.Lock()
	for _, d := range list {
		w.ready = append(w.ready, d)
		w.load[d.Host]++
	}
	w.mu.Unlock()
	return len(list), nil
}

// hostLimit is how many rows of host may be on hand: PerHost, or one for a
// host that is unavailable (its hourly probe). The caller holds w.mu.
func (w *Worker) hostLimit(host string) int {
	if w.unavailable[host] {
		return 1
	}
	return w.cfg.PerHost
}

// start starts ready rows while workers are free. A started post slot
// goes on with the next ready row when its post is done (see following),
// so a fan-out's thousand posts wake Run only to claim more, not once each.
func (w *Worker) start(ctx context.Context, wg *sync.WaitGroup) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.busy < w.cfg.Workers && len(w.ready) > 0 {
		d := w.next()
		w.busy++
		if w.m != nil {
			w.m.inFlight.Inc()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d != nil {
				w.deliver(ctx, d) // the recorder frees the row's place in w.load
				d = w.following(ctx)
			}
		}()
	}
}

// next takes the oldest ready row. The caller holds w.mu.
func (w *Worker) next() *storage.ClaimedDelivery {
	d := w.ready[0]
	w.ready[0] = nil
	w.ready = w.ready[1:]
	return d
}

// following is what a post slot does when its post is done: it takes the
// next ready row, waking Run when few are left on hand so that a claim
// tops them up; or, with none ready or the worker stopping, it frees the
// slot (the rows still ready are Run's to hand back at shutdown).
func (w *Worker) following(ctx context.Context) *storage.ClaimedDelivery {
	w.mu.Lock()
	if ctx.Err() == nil && len(w.ready) > 0 {
		d := w.next()
		low := w.busy+len(w.ready) <= w.cfg.Workers
		w.mu.Unlock()
		if low {
			w.Notify()
		}
		return d
	}
	w.busy--
	w.mu.Unlock()
	if w.m != nil {
		w.m.inFlight.Dec()
	}
	w.Notify() // a worker is free
	return nil
}

// release hands back the rows claimed but not started, at shutdown, so
// that another process need not wait for their lease.
func (w *Worker) release(ctx context.Context) {
	w.mu.Lock()
	ids := make([]int64, 0, len(w.ready))
	for _, d := range w.ready {
		ids = append(ids, d.ID)
		if w.load[d.Host]--; w.load[d.Host] <= 0 {
			delete(w.load, d.Host)
		}
	}
	w.ready = nil
	w.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if _, err := w.store.ReleaseDeliveries(rctx, w.cfg.WorkerID, ids); err != nil {
		w.log.Warn("hand back claimed deliveries", slog.Int("deliveries", len(ids)), slog.String("err", err.Error()))
	}
}

// refreshHosts reloads the unavailable hosts, which other processes may
// have marked or cleared.
func (w *Worker) refreshHosts(ctx context.Context) {
	list, err := w.store.UnavailableHosts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("load unavailable hosts", slog.String("err", err.Error()))
		}
		return
	}
	m := make(map[string]bool, len(list))
	for _, h := range list {
		m[h.Host] = true
	}
	w.mu.Lock()
	w.unavailable = m
	w.mu.Unlock()
}

// sweep gives up on rows whose activity is older than MaxAge and that are
// waiting for a retry that will not come in time (typically behind an
// unavailable host), and deletes delivered rows older than KeepDone.
func (w *Worker) sweep(ctx context.Context) {
	now := w.cfg.Now()
	n, err := w.store.ExpireDeliveries(ctx, now.Add(-w.cfg.MaxAge),
		fmt.Sprintf("gave up: not delivered within %s of the activity", w.cfg.MaxAge))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			w.log.Error("expire deliveries", slog.String("err", err.Error()))
		}
	case n > 0:
		w.log.Warn("gave up on old deliveries", slog.Int("deliveries", n), slog.Duration("max_age", w.cfg.MaxAge))
	}
	if w.cfg.KeepDone < 0 {
		return
	}
	n, err = w.store.PurgeDeliveries(ctx, now.Add(-w.cfg.KeepDone))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			w.log.Error("purge deliveries", slog.String("err", err.Error()))
		}
	case n > 0:
		w.log.Info("purged delivered rows", slog.Int("deliveries", n), slog.Duration("older_than", w.cfg.KeepDone))
	}
}
