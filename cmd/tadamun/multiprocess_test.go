package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// Several serve processes share one PostgreSQL database: these tests run
// real processes of the binary against it, and remote servers on loopback.

const (
	mpHosts     = 1000  // remote servers, each on its own loopback address
	mpFollowers = 10000 // followers spread over them, each with an inbox of its own
)

// inboxFleet is many remote servers that count the signed Creates each
// inbox receives.
type inboxFleet struct {
	urls  []string
	srvs  []*http.Server
	mu    sync.Mutex
	hits  map[string]int // host+path of an inbox -> Creates received
	total atomic.Int64
	stray atomic.Int64
	first chan time.Time // when the first Create arrived
	once  sync.Once
}

func newInboxFleet(t *testing.T, hosts int) *inboxFleet {
	t.Helper()
	raiseOpenFiles()
	f := &inboxFleet{hits: map[string]int{}, first: make(chan time.Time, 1)}
	// Linux routes all of 127.0.0.0/8 to lo: each server gets an address,
	// and so a host, of its own, as on the Internet. Where only 127.0.0.1
	// exists they differ by port.
	distinct := true
	for i := 0; i < hosts; i++ {
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
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		f.srvs = append(f.srvs, srv)
		f.urls = append(f.urls, "http://"+ln.Addr().String())
	}
	t.Cleanup(func() {
		for _, s := range f.srvs {
			_ = s.Close()
		}
	})
	return f
}

func (f *inboxFleet) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/inbox") || r.Header.Get("Signature") == "" ||
		!strings.Contains(string(body), `"type":"Create"`) {
		f.stray.Add(1)
		http.Error(w, "unexpected", http.StatusBadRequest)
		return
	}
	f.once.Do(func() { f.first <- time.Now() })
	f.mu.Lock()
	f.hits[r.Host+r.URL.Path]++
	f.mu.Unlock()
	f.total.Add(1)
	w.WriteHeader(http.StatusAccepted)
}

// follow writes n followers of the actor into the database, spread over the
// fleet, each with its own inbox and no shared inbox, so that every
// follower is one POST.
func (f *inboxFleet) follow(t *testing.T, dbURL, username string, n int) {
	t.Helper()
	st := storagetest.Open(t, dbURL)
	ctx := context.Background()
	actor, err := st.ActorByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(ctx, func(tx *storage.Store) error {
		for i := 0; i < n; i++ {
			u := f.urls[i%len(f.urls)]
			r := &storage.RemoteActor{IRI: fmt.Sprintf("%s/users/u%d", u, i), Host: storage.InboxHost(u),
				Username: fmt.Sprintf("u%d", i), Inbox: fmt.Sprintf("%s/users/u%d/inbox", u, i),
				PublicKeyPEM: "x", ExpiresAt: time.Now().Add(24 * time.Hour)}
			if err := tx.UpsertRemoteActor(ctx, r); err != nil {
				return err
			}
			if err := tx.PutFollower(ctx, actor.ID, r.ID, r.IRI+"/follow", storage.FollowAccepted); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// raiseOpenFiles lifts the soft open-file limit to the hard one: a thousand
// listeners and the servers' connections to them need thousands of
// descriptors. The serve processes inherit it.
func raiseOpenFiles() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// waitListening waits until a serve process hears other processes'
// notifications, so that none sent from now on is missed.
func (s *server) waitListening(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.logText(), "listening for work queued by other processes") {
		if time.Now().After(deadline) {
			t.Fatalf("serve never listened for notifications:\n%s", s.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var deliveredMetric = regexp.MustCompile(`(?m)^tadamun_delivery_attempts_total\{outcome="delivered"\} (\S+)$`)

// delivered is how many deliveries this process made, from its /metrics.
func (s *server) delivered(t *testing.T) int {
	t.Helper()
	code, body := s.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	m := deliveredMetric.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no delivered count in /metrics:\n%s", body)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestTwoProcessesFanOut: two serve processes on one PostgreSQL database
// deliver a statement to 10,000 followers on 1,000 hosts. Every inbox gets
// exactly one POST, and both processes deliver: the rows are claimed, never
// taken twice, and a publish from a third process (the CLI) wakes both at
// once through NOTIFY.
func TestTwoProcessesFanOut(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("10,000 deliveries (CI runs it always)")
	}
	dbURL := storagetest.PostgresURL(t)
	fleet := newInboxFleet(t, mpHosts)
	dir := t.TempDir()
	domain := freeAddr(t)
	env := cleanEnv("TADAMUN_DATABASE="+dbURL, "TADAMUN_DOMAIN="+domain, "TADAMUN_INSECURE_HTTP=true",
		"TADAMUN_ALLOW_PRIVATE_ADDRESSES=true")
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	fleet.follow(t, dbURL, "icssi", mpFollowers)

	a := startServe(t, dir, env, "--listen", domain)
	b := startServe(t, dir, env)
	a.waitListening(t)
	b.waitListening(t)

	start := time.Now()
	tadamun(t, dir, env, "publish", "--actor", "icssi", seedFile(t)).must(t)
	deadline := time.Now().Add(5 * time.Minute)
	for fleet.total.Load() < mpFollowers && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(time.Second) // a duplicate sent late would still arrive
	fleet.mu.Lock()
	defer fleet.mu.Unlock()
	missing, dups := 0, 0
	for i := 0; i < mpFollowers; i++ {
		u := strings.TrimPrefix(fleet.urls[i%len(fleet.urls)], "http://")
		switch n := fleet.hits[fmt.Sprintf("%s/users/u%d/inbox", u, i)]; {
		case n == 0:
			missing++
		case n > 1:
			dups += n - 1
		}
	}
	if len(fleet.hits) != mpFollowers-missing {
		t.Errorf("%d inboxes were posted to, want %d", len(fleet.hits), mpFollowers)
	}
	if missing > 0 || dups > 0 || fleet.stray.Load() > 0 {
		t.Errorf("%d inboxes got nothing, %d duplicate POSTs, %d unexpected requests", missing, dups, fleet.stray.Load())
	}
	na, nb := a.delivered(t), b.delivered(t)
	t.Logf("%d POSTs in %v (%.0f/s): process A delivered %d, process B %d", fleet.total.Load(), took.Round(time.Millisecond),
		float64(fleet.total.Load())/took.Seconds(), na, nb)
	if na+nb != mpFollowers {
		t.Errorf("the processes count %d + %d deliveries, want %d in all", na, nb, mpFollowers)
	}
	if na == 0 || nb == 0 {
		t.Errorf("both processes must deliver: A delivered %d, B %d", na, nb)
	}
	if t.Failed() {
		t.Logf("log of A:\n%s", lastLines(a.logText(), 40))
		t.Logf("log of B:\n%s", lastLines(b.logText(), 40))
	}
}

// TestNotifyWakesServe: a statement published by another process (here the
// CLI, which has no workers) is delivered by a serve process at once, not
// at its next poll, which on PostgreSQL is 30 seconds away.
func TestNotifyWakesServe(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	fleet := newInboxFleet(t, 1)
	dir := t.TempDir()
	domain := freeAddr(t)
	env := cleanEnv("TADAMUN_DATABASE="+dbURL, "TADAMUN_DOMAIN="+domain, "TADAMUN_INSECURE_HTTP=true",
		"TADAMUN_ALLOW_PRIVATE_ADDRESSES=true")
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	fleet.follow(t, dbURL, "icssi", 1)
	s := startServe(t, dir, env, "--listen", domain)
	s.waitListening(t)
	// Let the worker's start-up look for work pass, so only a wake-up or
	// the poll can find the statement.
	time.Sleep(time.Second)

	tadamun(t, dir, env, "publish", "--actor", "icssi", seedFile(t)).must(t)
	published := time.Now()
	select {
	case at := <-fleet.first:
		lag := at.Sub(published)
		if lag < 0 {
			t.Logf("delivered %v before the publishing process had even exited", (-lag).Round(time.Millisecond))
		} else {
			t.Logf("delivered %v after the publishing process exited", lag.Round(time.Millisecond))
		}
		// The fallback poll is 30 s; a wake-up takes milliseconds. The
		// bound leaves room for a loaded machine.
		if lag > 5*time.Second {
			t.Errorf("delivered %v after the publish: the serve process was not woken", lag)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("nothing delivered within 20s of the publish (the poll is %v):\n%s", fallbackPoll, s.logText())
	}
}

// lastLines is the end of a log.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
