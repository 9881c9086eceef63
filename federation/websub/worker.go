package websub

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// Store is what the worker needs of storage; *storage.Store implements it.
type Store interface {
	ClaimWebSubJobs(ctx context.Context, workerID string, lease time.Duration, limit int) ([]*storage.WebSubJob, error)
	FinishWebSubJob(ctx context.Context, id int64) error
	RetryWebSubJob(ctx context.Context, id int64, status int, errText string, next time.Time) error
	ConfirmWebSubscription(ctx context.Context, j *storage.WebSubJob) error
	ActiveWebSubscription(ctx context.Context, topic, callback string) (*storage.WebSubscription, error)
	RemoveWebSubscription(ctx context.Context, topic, callback string) error
	PruneWebSub(ctx context.Context, maxAge time.Duration) (int, error)
}

// Sender makes one request through the guard; *transport.Client is one.
type Sender interface {
	Send(ctx context.Context, method, rawURL string, header http.Header, body []byte, maxBody int64) (*transport.Response, []byte, error)
}

// Feeds renders a topic (one of the node's feed URLs) as it is now.
type Feeds interface {
	Render(ctx context.Context, topic string) (body []byte, contentType string, err error)
}

// Defaults for the zero values of Config.
const (
	DefaultWorkers           = 8
	DefaultLease             = 2 * time.Minute
	DefaultPoll              = 500 * time.Millisecond
	DefaultTimeout           = 10 * time.Second
	DefaultMaxVerifyAttempts = 3
)

// pruneEvery is how often Run removes expired subscriptions and jobs too
// old to retry.
const pruneEvery = 10 * time.Minute

// Config configures a Worker.
type Config struct {
	// WorkerID names this process in the rows it leases. Empty means host
	// name, process id and a random suffix.
	WorkerID string
	// Hubs are the hubs a pushed feed's Link header names (the node's own
	// endpoint first).
	Hubs []string
	// Workers is how many requests may be under way at once (default 8).
	Workers int
	// Lease is how long a claimed job stays ours (default 2m); it must
	// exceed Timeout.
	Lease time.Duration
	// Poll is how often Run looks for due jobs (default 500ms); Notify
	// wakes it at once.
	Poll time.Duration
	// Timeout bounds one request (default 10s).
	Timeout time.Duration
	// MaxAge is how long a push or ping is retried (default
	// delivery.DefaultMaxAge, a week).
	MaxAge time.Duration
	// MaxVerifyAttempts bounds the verification GETs that got no answer
	// (default 3).
	MaxVerifyAttempts int
	// Logger receives one line per outcome other than success. Nil
	// discards.
	Logger *slog.Logger
	// Now is the clock for retry times. Nil means time.Now.
	Now func() time.Time
}

// Worker sends the WebSub queue: verifications, pushes and pings.
type Worker struct {
	cfg    Config
	store  Store
	sender Sender
	feeds  Feeds
	log    *slog.Logger
	wake   chan struct{}
}

// New fills in cfg's defaults and makes a Worker. Call Run to start it.
func New(cfg Config, store Store, sender Sender, feeds Feeds) (*Worker, error) {
	if store == nil || sender == nil || feeds == nil {
		return nil, errors.New("websub: a store, a sender and the feeds are required")
	}
	if cfg.WorkerID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.WorkerID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = delivery.DefaultMaxAge
	}
	if cfg.MaxVerifyAttempts <= 0 {
		cfg.MaxVerifyAttempts = DefaultMaxVerifyAttempts
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Worker{cfg: cfg, store: store, sender: sender, feeds: feeds, log: cfg.Logger, wake: make(chan struct{}, 1)}, nil
}

// Notify wakes Run: a job was queued.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends due jobs until ctx ends. Requests under way when it ends are
// finished (each within Timeout) and recorded.
func (w *Worker) Run(ctx context.Context) error {
	tick := time.NewTicker(w.cfg.Poll)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		if time.Since(lastPrune) >= pruneEvery {
			lastPrune = time.Now()
			if n, err := w.store.PruneWebSub(ctx, w.cfg.MaxAge); err != nil && ctx.Err() == nil {
				w.log.Warn("websub: prune failed", "err", err)
			} else if n > 0 {
				w.log.Info("websub: expired subscriptions and old jobs removed", "rows", n)
			}
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("websub: claiming jobs failed; trying again", "err", err)
		}
		if n == w.cfg.Workers {
			continue // there may be more due at once
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-tick.C:
		}
	}
}

// RunOnce claims up to Workers due jobs, sends them at once and returns
// how many there were when all are settled.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	jobs, err := w.store.ClaimWebSubJobs(ctx, w.cfg.WorkerID, w.cfg.Lease, w.cfg.Workers)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.handle(context.WithoutCancel(ctx), j)
		}()
	}
	wg.Wait()
	return len(jobs), nil
}

// handle sends one job and settles it.
func (w *Worker) handle(ctx context.Context, j *storage.WebSubJob) {
	rctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	var err error
	switch j.Kind {
	case storage.WebSubVerify:
		err = w.verify(rctx, j)
	case storage.WebSubPush:
		err = w.push(rctx, j)
	case storage.WebSubPing:
		err = w.ping(rctx, j)
	default:
		err = permanent(fmt.Errorf("unknown job kind %q", j.Kind))
	}
	if err == nil {
		w.settle(ctx, j, w.store.FinishWebSubJob(ctx, j.ID))
		return
	}
	status, retryAfter := 0, time.Duration(0)
	var se *transport.StatusError
	if errors.As(err, &se) {
		status, retryAfter = se.Code, se.RetryAfter
	}
	next := w.cfg.Now().Add(delivery.RetryDelay(j.Attempts+1, retryAfter))
	giveUp := isPermanent(err) ||
		j.Kind == storage.WebSubVerify && j.Attempts+1 >= w.cfg.MaxVerifyAttempts ||
		next.Sub(j.CreatedAt) > w.cfg.MaxAge
	if giveUp {
		w.log.Info("websub: giving up", "kind", j.Kind, "topic", j.Topic, "target", j.Target, "attempts", j.Attempts+1, "err", err)
		w.settle(ctx, j, w.store.FinishWebSubJob(ctx, j.ID))
		return
	}
	w.log.Info("websub: will retry", "kind", j.Kind, "topic", j.Topic, "target", j.Target, "next", next, "err", err)
	w.settle(ctx, j, w.store.RetryWebSubJob(ctx, j.ID, status, err.Error(), next))
}

// settle logs a failure to record an outcome; the lease runs out and the
// job is tried again.
func (w *Worker) settle(_ context.Context, j *storage.WebSubJob, err error) {
	if err != nil {
		w.log.Error("websub: recording an outcome failed; the job will be sent again", "id", j.ID, "err", err)
	}
}

// verify asks the callback to confirm the intent (WebSub §5.3) and records
// it when the answer is a 2xx echoing the challenge. Anything else is a
// refusal: the request is dropped and nothing changes.
func (w *Worker) verify(ctx context.Context, j *storage.WebSubJob) error {
	challenge := Challenge()
	q := url.Values{"hub.mode": {j.Mode}, "hub.topic": {j.Topic}, "hub.challenge": {challenge}}
	if j.Mode == "subscribe" {
		q.Set("hub.lease_seconds", strconv.Itoa(j.LeaseSeconds))
	}
	_, body, err := w.sender.Send(ctx, http.MethodGet, withQuery(j.Target, q), nil, nil, int64(len(challenge)+64))
	if err != nil {
		var se *transport.StatusError
		if errors.As(err, &se) {
			return permanent(fmt.Errorf("the callback refused the %s: %w", j.Mode, err))
		}
		return classifyNetwork(err)
	}
	if !bytes.Equal(bytes.TrimSpace(body), []byte(challenge)) {
		return permanent(fmt.Errorf("the callback did not echo hub.challenge; %s not verified", j.Mode))
	}
	return w.store.ConfirmWebSubscription(ctx, j)
}

// push sends the topic's feed as it is now to one subscriber (WebSub §7).
// A subscription that expired or ended since the job was queued gets
// nothing; one whose callback answers 410 Gone is ended.
func (w *Worker) push(ctx context.Context, j *storage.WebSubJob) error {
	sub, err := w.store.ActiveWebSubscription(ctx, j.Topic, j.Target)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	body, ctype, err := w.feeds.Render(ctx, j.Topic)
	if err != nil {
		return err
	}
	h := http.Header{"Content-Type": {ctype}, "Link": {LinkHeader(w.cfg.Hubs, j.Topic)}}
	if sub.Secret != "" {
		h.Set("X-Hub-Signature", Signature(sub.Secret, body))
	}
	_, _, err = w.sender.Send(ctx, http.MethodPost, j.Target, h, body, 0)
	var se *transport.StatusError
	if errors.As(err, &se) && se.Code == http.StatusGone {
		return w.store.RemoveWebSubscription(ctx, j.Topic, j.Target)
	}
	return classifyNetwork(err)
}

// ping tells an external hub that the topic changed: the de facto publish
// notification (hub.mode=publish, hub.url=TOPIC; the Recommendation leaves
// it to hubs, and the public hubs take this form).
func (w *Worker) ping(ctx context.Context, j *storage.WebSubJob) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {j.Topic}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	_, _, err := w.sender.Send(ctx, http.MethodPost, j.Target, h, []byte(form.Encode()), 0)
	return classifyNetwork(err)
}

// permanentError marks a failure that no retry can mend.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// classifyNetwork marks what the transport reports as final: a refused or
// malformed URL, or a status that retrying does not change.
func classifyNetwork(err error) error {
	if err == nil {
		return nil
	}
	var se *transport.StatusError
	switch {
	case errors.As(err, &se) && se.Permanent(),
		errors.Is(err, transport.ErrBadURL), errors.Is(err, transport.ErrPrivateAddress):
		return permanent(err)
	}
	return err
}
