package delivery_test

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

var bg = context.Background()

// testKeys is one RSA key pair for every test: generating one takes long
// under the race detector.
var testKeys = sync.OnceValues(func() (priv, pub string) {
	k, err := httpsig.GenerateKey()
	if err != nil {
		panic(err)
	}
	if priv, err = httpsig.MarshalPrivateKeyPEM(k); err != nil {
		panic(err)
	}
	if pub, err = httpsig.MarshalPublicKeyPEM(&k.PublicKey); err != nil {
		panic(err)
	}
	return priv, pub
})

func keyID(username string, instance bool) string {
	if instance {
		return "https://node.example/actor#main-key"
	}
	return "https://node.example/users/" + username + "#main-key"
}

// env is a node's database with one actor, and a real HTTP client.
type env struct {
	t      testing.TB
	url    string
	store  *storage.Store
	actor  *storage.Actor
	pub    crypto.PublicKey
	client *transport.Client
	n      atomic.Int64 // activities published
	// clock, when set, is the time of the store and of every worker made
	// by e.worker: the test lets time pass with clock.Advance.
	clock *storagetest.Clock
}

func newEnv(t testing.TB, url string) *env {
	t.Helper()
	return setUpEnv(t, url, nil)
}

// newClockEnv is an env whose store and workers read a clock the test moves.
func newClockEnv(t testing.TB, url string) *env {
	t.Helper()
	return setUpEnv(t, url, storagetest.NewClock(time.Now().UTC().Truncate(time.Microsecond)))
}

func setUpEnv(t testing.TB, url string, clock *storagetest.Clock) *env {
	t.Helper()
	priv, pubPEM := testKeys()
	pub, err := httpsig.ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	store := storagetest.Open(t, url)
	if clock != nil {
		store = storagetest.OpenClock(t, url, clock)
	}
	e := &env{t: t, url: url, store: store, pub: pub, clock: clock,
		client: transport.New(transport.Config{AllowPrivate: true, Timeout: 20 * time.Second})}
	t.Cleanup(e.client.CloseIdleConnections)
	e.actor = &storage.Actor{Username: "icssi", PrivateKeyPEM: priv, PublicKeyPEM: pubPEM}
	if err := e.store.CreateActor(bg, e.actor); err != nil {
		t.Fatal(err)
	}
	return e
}

// follow adds an accepted follower with the given inboxes.
func (e *env) follow(name, inbox, shared string) *storage.RemoteActor {
	e.t.Helper()
	r := &storage.RemoteActor{IRI: "https://remote.example/users/" + name, Host: storage.InboxHost(inbox), Username: name,
		Inbox: inbox, SharedInbox: shared, PublicKeyPEM: "x", ExpiresAt: time.Now().Add(time.Hour)}
	if err := e.store.UpsertRemoteActor(bg, r); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.PutFollower(bg, e.actor.ID, r.ID, r.IRI+"/follow", storage.FollowAccepted); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// publish stores a Create and queues it for every follower inbox in one
// transaction, as the federation package does.
func (e *env) publish() *storage.Activity {
	e.t.Helper()
	n := e.n.Add(1)
	act := &storage.Activity{IRI: fmt.Sprintf("https://node.example/users/icssi/statements/%d/activity", n),
		Direction: storage.Outbound, Type: "Create", ActorIRI: "https://node.example/users/icssi", LocalActorID: e.actor.ID,
		Body: fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"%d","content":"نقف معاً"}`, n)}
	err := e.store.Tx(bg, func(tx *storage.Store) error {
		if _, err := tx.SaveActivity(bg, act); err != nil {
			return err
		}
		inboxes, err := tx.FollowerInboxes(bg, e.actor.ID)
		if err != nil {
			return err
		}
		_, err = tx.EnqueueDeliveries(bg, act.ID, e.actor.ID, inboxes)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return act
}

// worker makes a Worker on store (e.store when nil) with test defaults.
func (e *env) worker(store *storage.Store, cfg delivery.Config) *delivery.Worker {
	e.t.Helper()
	if store == nil {
		store = e.store
	}
	if cfg.KeyID == nil {
		cfg.KeyID = keyID
	}
	if cfg.Poll == 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if cfg.Now == nil && e.clock != nil {
		cfg.Now = e.clock.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	w, err := delivery.New(cfg, store, e.client)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// run starts w; the returned function stops it and waits for Run to return.
// The test's cleanup stops it too.
func run(t testing.TB, w *delivery.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// inboxServer is a remote server's inboxes: it verifies every POST's
// signature and digest against our actor's public key and counts, per
// path, the verified POSTs and their bodies.
type inboxServer struct {
	*httptest.Server
	e *env
	// answer writes the response to the n-th verified POST (from 1) to
	// path; nil answers 202.
	answer func(w http.ResponseWriter, r *http.Request, path string, n int)

	mu     sync.Mutex
	got    map[string]int
	bodies map[string][]string
	bad    []string

	active, maxActive atomic.Int64
}

func (e *env) inboxServer(answer func(w http.ResponseWriter, r *http.Request, path string, n int)) *inboxServer {
	s := &inboxServer{e: e, answer: answer, got: map[string]int{}, bodies: map[string][]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	e.t.Cleanup(s.Close)
	return s
}

func (s *inboxServer) serve(w http.ResponseWriter, r *http.Request) {
	now := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		m := s.maxActive.Load()
		if now <= m || s.maxActive.CompareAndSwap(m, now) {
			break
		}
	}
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = s.verify(r, body)
	}
	if err != nil {
		s.mu.Lock()
		s.bad = append(s.bad, r.URL.Path+": "+err.Error())
		s.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	s.got[r.URL.Path]++
	n := s.got[r.URL.Path]
	s.bodies[r.URL.Path] = append(s.bodies[r.URL.Path], string(body))
	s.mu.Unlock()
	if s.answer == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	s.answer(w, r, r.URL.Path, n)
}

// verify does what a receiving inbox does: signature, key, digest.
func (s *inboxServer) verify(r *http.Request, body []byte) error {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != transport.ContentTypeActivity {
		return fmt.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	sig, err := httpsig.Parse(r, httpsig.Options{Scheme: "http", RequireDigest: true})
	if err != nil {
		return err
	}
	if want := keyID("icssi", false); sig.KeyID != want {
		return fmt.Errorf("signed by %s, want %s", sig.KeyID, want)
	}
	if err := sig.Verify(s.e.pub); err != nil {
		return err
	}
	return httpsig.VerifyDigest(r.Header, body)
}

// count is the verified POSTs to path.
func (s *inboxServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[path]
}

// check fails the test if any request was not properly signed.
func (s *inboxServer) check(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bad {
		t.Errorf("%s: unverifiable request: %s", s.URL, b)
	}
}

// eventually waits up to 30s for cond.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rows returns the deliveries of act by inbox.
func (e *env) rows(act *storage.Activity) map[string]*storage.Delivery {
	e.t.Helper()
	list, err := e.store.DeliveriesOf(bg, act.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]*storage.Delivery{}
	for _, d := range list {
		m[d.Inbox] = d
	}
	return m
}

// settled reports whether every delivery of act is done or failed.
func (e *env) settled(act *storage.Activity) bool {
	for _, d := range e.rows(act) {
		if d.State == storage.DeliveryPending {
			return false
		}
	}
	return true
}
