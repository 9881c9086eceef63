package delivery_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// fleet is n servers with perServer personal inboxes each, all following.
func (e *env) fleet(n, perServer int, answer func(w http.ResponseWriter, r *http.Request, path string, n int)) (servers []*inboxServer, inboxes int) {
	for i := 0; i < n; i++ {
		s := e.inboxServer(answer)
		for j := 0; j < perServer; j++ {
			e.follow(fmt.Sprintf("f%d_%d", i, j), fmt.Sprintf("%s/users/u%d/inbox", s.URL, j), "")
		}
		servers = append(servers, s)
	}
	return servers, n * perServer
}

// tally counts, over every inbox of the fleet, those that got nothing and
// the POSTs beyond the first.
func tally(t *testing.T, servers []*inboxServer, perServer int) (missing, duplicates int) {
	t.Helper()
	for _, s := range servers {
		s.check(t)
		for j := 0; j < perServer; j++ {
			switch n := s.count(fmt.Sprintf("/users/u%d/inbox", j)); {
			case n == 0:
				missing++
			case n > 1:
				duplicates += n - 1
			}
		}
	}
	return missing, duplicates
}

func TestCrashWithClaimedRows(t *testing.T) { backends(t, testCrashWithClaimedRows) }

// testCrashWithClaimedRows: a process claims rows, sends some of them and
// dies without recording anything. A fresh worker delivers everything
// else at once, and the dead process's rows when their lease runs out; only
// the rows it had sent arrive twice.
func testCrashWithClaimedRows(t *testing.T, url string) {
	e := newEnv(t, url)
	servers, total := e.fleet(10, 3, nil)
	act := e.publish()

	const lease, sent = 2 * time.Second, 3
	doomed := storagetest.Open(t, url)
	claimed, err := doomed.ClaimDeliveries(bg, "doomed", lease, 8, nil)
	if err != nil || len(claimed) != 8 {
		t.Fatalf("the doomed process claimed %d rows: %v", len(claimed), err)
	}
	key, err := httpsig.ParsePrivateKeyPEM(e.actor.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range claimed[:sent] {
		if _, err := e.client.Post(bg, d.Inbox, d.Body, &transport.Signer{KeyID: keyID("icssi", false), Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	doomed.Close() // dies: nothing recorded, leases left behind
	diedAt := time.Now()

	w := e.worker(nil, delivery.Config{Lease: 3 * time.Second})
	run(t, w)
	w.Notify()
	// The rows the dead process left are taken once their lease runs out,
	// which on a slow machine may come before the others are all done: so
	// wait for the others, whatever became of those.
	leased := map[string]bool{}
	for _, d := range claimed {
		leased[d.Inbox] = true
	}
	eventually(t, "the unclaimed rows are delivered", func() bool {
		done := 0
		for inbox, d := range e.rows(act) {
			if !leased[inbox] && d.State == storage.DeliveryDone {
				done++
			}
		}
		return done == total-len(claimed)
	})
	if time.Since(diedAt) < lease {
		for _, d := range claimed {
			if r := e.rows(act)[d.Inbox]; r.State != storage.DeliveryPending {
				t.Errorf("a row leased by the dead process was taken before its lease ran out: %+v", r)
			}
		}
	}
	eventually(t, "the dead process's rows are delivered", func() bool { return e.settled(act) })
	missing, dups := tally(t, servers, 3)
	t.Logf("%d inboxes: %d missing, %d duplicates (%d rows were sent by the process that died)", total, missing, dups, sent)
	if missing != 0 || dups != sent {
		t.Fatalf("%d inboxes got nothing and %d POSTs were repeated; want 0 and %d", missing, dups, sent)
	}
}

func TestCancelMidFanOut(t *testing.T) { backends(t, testCancelMidFanOut) }

// testCancelMidFanOut: a worker stopped in the middle of a fan-out finishes
// what it has under way; a fresh worker on another connection pool
// delivers the rest; every inbox gets exactly one POST.
func testCancelMidFanOut(t *testing.T, url string) {
	e := newEnv(t, url)
	var received atomic.Int64
	servers, total := e.fleet(40, 1, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		time.Sleep(50 * time.Millisecond)
		received.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	act := e.publish()
	first := e.worker(nil, delivery.Config{Workers: 4})
	stop := run(t, first)
	first.Notify()
	eventually(t, "the fan-out is under way", func() bool { return received.Load() >= 5 })
	stop()
	at := received.Load()
	if at >= int64(total) {
		t.Fatalf("the fan-out finished (%d) before the stop", at)
	}
	leased := storagetest.Count(t, url, `SELECT COUNT(*) FROM deliveries WHERE locked_by <> ''`)
	t.Logf("stopped after %d of %d inboxes; %d rows still leased", at, total, leased)
	if leased != 0 {
		t.Errorf("a stopped worker left %d rows leased", leased)
	}

	second := e.worker(storagetest.Open(t, url), delivery.Config{})
	run(t, second)
	second.Notify()
	eventually(t, "the rest is delivered", func() bool { return e.settled(act) })
	missing, dups := tally(t, servers, 1)
	t.Logf("%d inboxes: %d missing, %d duplicates", total, missing, dups)
	if missing != 0 || dups != 0 {
		t.Fatalf("%d inboxes got nothing, %d POSTs repeated", missing, dups)
	}
}

func TestTwoWorkers(t *testing.T) { backends(t, testTwoWorkers) }

// testTwoWorkers: two workers on two connection pools (two processes, as
// far as the database can tell) share one queue; every inbox gets exactly
// one POST.
func testTwoWorkers(t *testing.T, url string) {
	e := newEnv(t, url)
	servers, total := e.fleet(20, 3, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(http.StatusAccepted)
	})
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	a := e.worker(nil, delivery.Config{WorkerID: "a", Workers: 4, Metrics: regA})
	b := e.worker(storagetest.Open(t, url), delivery.Config{WorkerID: "b", Workers: 4, Metrics: regB})
	run(t, a)
	run(t, b)
	act := e.publish()
	a.Notify()
	b.Notify()
	eventually(t, "every delivery is settled", func() bool { return e.settled(act) })
	missing, dups := tally(t, servers, 3)
	const delivered = `tadamun_delivery_attempts_total{outcome="delivered"}`
	byA, byB := gather(t, regA)[delivered], gather(t, regB)[delivered]
	t.Logf("%d inboxes: %d missing, %d duplicates; worker a delivered %v, worker b %v", total, missing, dups, byA, byB)
	if missing != 0 || dups != 0 {
		t.Fatalf("%d inboxes got nothing, %d POSTs repeated", missing, dups)
	}
	if byA == 0 || byB == 0 || int(byA+byB) != total {
		t.Fatalf("workers delivered %v and %v of %d", byA, byB, total)
	}
}
