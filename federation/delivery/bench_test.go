package delivery_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// The fan-out benchmarks share one fleet: 1,000 remote servers, each a real
// loopback listener on its own address, and a SQLite node with 10,000
// followers spread over them, every follower on a server sharing that
// server's shared inbox. One fan-out is therefore exactly 1,000 POSTs.
const (
	fleetHosts     = 1000
	fleetFollowers = 10000
)

type benchFleet struct {
	dir     string
	store   *storage.Store
	actor   *storage.Actor
	key     *transport.Signer
	client  *transport.Client
	servers []*benchServer
	hits    atomic.Int64 // POSTs to a shared inbox, all servers
	stray   atomic.Int64 // anything else
	addrs   string       // how the servers are addressed, for the log
	n       atomic.Int64 // activities published
	// goal, when set, is a count of hits at which reached gets a value:
	// a waiter need not poll.
	goal    atomic.Int64
	reached chan struct{}
	// firstHit and lastHit are the times (UnixNano) of the first and the
	// latest POST since they were last zeroed: how long a fan-out takes to
	// start, and how long it takes to end once the last POST is in.
	firstHit, lastHit atomic.Int64
}

type benchServer struct {
	srv  *http.Server
	url  string
	hits atomic.Int64
}

var (
	fleetOnce sync.Once
	fleet     *benchFleet
	fleetErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fleet != nil {
		fleet.close()
	}
	os.Exit(code)
}

// getFleet builds the fleet once per test binary.
func getFleet(b *testing.B) *benchFleet {
	b.Helper()
	fleetOnce.Do(func() { fleet, fleetErr = newBenchFleet() })
	if fleetErr != nil {
		b.Fatal(fleetErr)
	}
	b.Logf("fleet: %d servers (%s), %d followers", len(fleet.servers), fleet.addrs, fleetFollowers)
	return fleet
}

func newBenchFleet() (*benchFleet, error) {
	raiseFileLimit()
	dir, err := os.MkdirTemp("", "tadamun-bench-")
	if err != nil {
		return nil, err
	}
	f := &benchFleet{dir: dir, client: transport.New(transport.Config{AllowPrivate: true}), reached: make(chan struct{}, 1)}
	// Linux routes all of 127.0.0.0/8 to lo, so every server can have an
	// address, and thus a host, of its own, as on the Internet. Elsewhere
	// only 127.0.0.1 may exist: the servers then differ by port.
	distinct := true
	for i := 0; i < fleetHosts; i++ {
		addr := fmt.Sprintf("127.0.%d.%d:0", 1+i/250, 1+i%250)
		if !distinct {
			addr = "127.0.0.1:0"
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil && i == 0 {
			distinct = false
			ln, err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			f.close()
			return nil, err
		}
		s := &benchServer{url: "http://" + ln.Addr().String()}
		s.srv = &http.Server{Handler: f.handler(s), ReadHeaderTimeout: 10 * time.Second}
		go pprof.Do(context.Background(), pprof.Labels("part", "fleet"), func(context.Context) { _ = s.srv.Serve(ln) })
		f.servers = append(f.servers, s)
	}
	f.addrs = "one address each, 127.0.1.1 to 127.0.4.250"
	if !distinct {
		f.addrs = "127.0.0.2 unavailable: distinct ports on 127.0.0.1"
	}

	ctx := context.Background()
	f.store, err = storage.Open(ctx, storage.Config{URL: "sqlite:" + filepath.Join(dir, "tadamun.db")})
	if err != nil {
		f.close()
		return nil, err
	}
	if _, err := f.store.Migrate(ctx); err != nil {
		f.close()
		return nil, err
	}
	priv, pub := testKeys()
	key, err := httpsig.ParsePrivateKeyPEM(priv)
	if err != nil {
		f.close()
		return nil, err
	}
	f.key = &transport.Signer{KeyID: keyID("icssi", false), Key: key}
	f.actor = &storage.Actor{Username: "icssi", PrivateKeyPEM: priv, PublicKeyPEM: pub}
	err = f.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.CreateActor(ctx, f.actor); err != nil {
			return err
		}
		for i := 0; i < fleetFollowers; i++ {
			s := f.servers[i%fleetHosts]
			r := &storage.RemoteActor{IRI: fmt.Sprintf("%s/users/u%d", s.url, i), Host: storage.InboxHost(s.url),
				Username: fmt.Sprintf("u%d", i), Inbox: fmt.Sprintf("%s/users/u%d/inbox", s.url, i), SharedInbox: s.url + "/inbox",
				PublicKeyPEM: "x", ExpiresAt: time.Now().Add(24 * time.Hour)}
			if err := tx.UpsertRemoteActor(ctx, r); err != nil {
				return err
			}
			if err := tx.PutFollower(ctx, f.actor.ID, r.ID, r.IRI+"/follow", storage.FollowAccepted); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *benchFleet) handler(s *benchServer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/inbox" || r.Header.Get("Signature") == "" {
			f.stray.Add(1)
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		s.hits.Add(1)
		now := time.Now().UnixNano()
		f.firstHit.CompareAndSwap(0, now)
		for last := f.lastHit.Load(); last < now && !f.lastHit.CompareAndSwap(last, now); last = f.lastHit.Load() {
		}
		if f.hits.Add(1) == f.goal.Load() {
			select {
			case f.reached <- struct{}{}:
			default:
			}
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

func (f *benchFleet) close() {
	for _, s := range f.servers {
		_ = s.srv.Close()
	}
	if f.store != nil {
		_ = f.store.Close()
	}
	f.client.CloseIdleConnections()
	_ = os.RemoveAll(f.dir)
}

// check asserts that every server got exactly want POSTs to its shared
// inbox and nothing else arrived.
func (f *benchFleet) check(b *testing.B, want int64) {
	b.Helper()
	for _, s := range f.servers {
		if n := s.hits.Load(); n != want {
			b.Fatalf("%s got %d POSTs, want %d", s.url, n, want)
		}
	}
	if n := f.stray.Load(); n != 0 {
		b.Fatalf("%d unexpected requests", n)
	}
}

// raiseFileLimit lifts the soft open-file limit to the hard one: a thousand
// listeners and their connections need a few thousand descriptors.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// BenchmarkFanOut10k: one statement to 10,000 followers on 1,000 servers,
// end to end: the publishing transaction (activity, follower inboxes, 1,000
// delivery rows), then the worker claiming, signing and POSTing them, and
// every row recorded as done.
func BenchmarkFanOut10k(b *testing.B) {
	f := getFleet(b)
	w, err := delivery.New(delivery.Config{WorkerID: "bench", KeyID: keyID}, f.store, f.client)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	base := f.servers[0].hits.Load()
	var enqueue time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		target := f.hits.Load() + fleetHosts
		act := f.publish(b, w.Notify)
		enqueue += time.Since(start)
		for f.hits.Load() < target {
			time.Sleep(time.Millisecond)
		}
		for pending(b, f.store, act) > 0 {
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	f.check(b, base+int64(b.N))
	b.ReportMetric(float64(enqueue.Microseconds())/1000/float64(b.N), "enqueue-ms/op")
	b.ReportMetric(fleetHosts*float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}

// publish publishes one statement as federation.Service.Publish does: the
// publishing transaction (the activity, the first follower inboxes and the
// fan-out's record; storage.Store.StartFanOut), then notify (the worker's
// wake), then the rest of the inboxes in short transactions
// (FinishFanOuts), then notify again. notify may be nil (no worker).
func (f *benchFleet) publish(b *testing.B, notify func()) *storage.Activity {
	ctx := context.Background()
	n := f.n.Add(1)
	act := &storage.Activity{IRI: fmt.Sprintf("https://node.example/users/icssi/statements/b%d/activity", n),
		Direction: storage.Outbound, Type: "Create", ActorIRI: "https://node.example/users/icssi", LocalActorID: f.actor.ID,
		Body: fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"b%d"}`, n)}
	first := 0
	err := f.store.Tx(ctx, func(tx *storage.Store) error {
		if _, err := tx.SaveActivity(ctx, act); err != nil {
			return err
		}
		var err error
		first, err = tx.StartFanOut(ctx, act.ID, f.actor.ID, f.actor.ID, nil)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if notify != nil {
		notify()
	}
	rest, err := f.store.FinishFanOuts(ctx, time.Now().Add(time.Hour), nil)
	if err != nil {
		b.Fatal(err)
	}
	if first+rest != fleetHosts {
		b.Fatalf("%d + %d deliveries queued for the followers, want one per server (%d)", first, rest, fleetHosts)
	}
	if notify != nil {
		notify()
	}
	return act
}

func pending(b *testing.B, s *storage.Store, act *storage.Activity) int {
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM deliveries WHERE activity_id = $1 AND state <> 'done'`, act.ID).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkBareSignedPosts: the same 1,000 signed POSTs with the same
// client and concurrency as the worker's default (32), straight from
// memory: no queue, no database. The floor BenchmarkFanOut10k is measured
// against.
func BenchmarkBareSignedPosts(b *testing.B) {
	f := getFleet(b)
	base := f.servers[0].hits.Load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.barePosts(b, delivery.DefaultWorkers)
	}
	b.StopTimer()
	f.check(b, base+int64(b.N))
	b.ReportMetric(fleetHosts*float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}

// BenchmarkEnqueue10k: the publishing transaction alone, for 10,000
// distinct inboxes (followers without shared inboxes): the activity and
// 10,000 delivery rows, committed.
func BenchmarkEnqueue10k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchEnqueue(b, storagetest.SQLiteURL(b)) })
	b.Run("postgres", func(b *testing.B) { benchEnqueue(b, storagetest.PostgresURL(b)) })
}

func benchEnqueue(b *testing.B, url string) {
	ctx := context.Background()
	s := storagetest.Open(b, url)
	a := &storage.Actor{Username: "icssi", PrivateKeyPEM: "p", PublicKeyPEM: "q"}
	if err := s.CreateActor(ctx, a); err != nil {
		b.Fatal(err)
	}
	inboxes := make([]string, 10000)
	for i := range inboxes {
		inboxes[i] = fmt.Sprintf("https://h%d.example/users/u%d/inbox", i%1000, i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		act := &storage.Activity{IRI: fmt.Sprintf("https://node.example/activities/%d", i), Direction: storage.Outbound,
			Type: "Create", ActorIRI: "https://node.example/users/icssi", LocalActorID: a.ID, Body: []byte(`{}`)}
		err := s.Tx(ctx, func(tx *storage.Store) error {
			if _, err := tx.SaveActivity(ctx, act); err != nil {
				return err
			}
			n, err := tx.EnqueueDeliveries(ctx, act.ID, a.ID, inboxes)
			if err == nil && n != len(inboxes) {
				err = fmt.Errorf("enqueued %d", n)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFanOutPublish: the publishing of the fan-out alone, both steps
// (the activity and the first inboxes, then the rest of the 1,000 delivery
// rows for 10,000 followers on 1,000 servers), no worker running.
func BenchmarkFanOutPublish(b *testing.B) {
	f := getFleet(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.publish(b, nil)
	}
}

// BenchmarkFollowerInboxes10k: reading the distinct inboxes of 10,000
// followers on 1,000 servers.
func BenchmarkFollowerInboxes10k(b *testing.B) {
	f := getFleet(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inboxes, err := f.store.FollowerInboxes(ctx, f.actor.ID)
		if err != nil || len(inboxes) != fleetHosts {
			b.Fatal(len(inboxes), err)
		}
	}
}
