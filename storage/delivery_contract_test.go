package storage_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestDeliveryContract pins the delivery queue and host health on every
// backend, each case on a database of its own.
func TestDeliveryContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			cases := []struct {
				name string
				fn   func(t *testing.T, url string)
			}{
				{"EnqueueDedupe", testEnqueueDedupe},
				{"EnqueueLarge", testEnqueueLarge},
				{"ClaimLease", testClaimLease},
				{"ClaimOnePerHost", testClaimOnePerHost},
				{"ClaimSkipHosts", testClaimSkipHosts},
				{"ClaimConcurrent", testClaimConcurrent},
				{"Transitions", testDeliveryTransitions},
				{"Stats", testDeliveryStats},
				{"RetryDeliveries", testRetryDeliveries},
				{"ExpireAndPurge", testExpireAndPurge},
				{"RemoveFollowersByInbox", testRemoveFollowersByInbox},
				{"HostFacts", testHostFacts},
				{"HostHold", testHostHold},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.fn(t, freshURL(t, b.Name)) })
			}
		})
	}
}

// queueFixture is a database with one actor and one outbound activity.
type queueFixture struct {
	s     *storage.Store
	url   string
	actor *storage.Actor
	act   *storage.Activity
	clock *storagetest.Clock // the store's clock, when the test moves time
}

func newQueueFixture(t *testing.T, url string) *queueFixture {
	t.Helper()
	return setUpQueueFixture(t, url, storagetest.Open(t, url), nil)
}

// newClockFixture is a queueFixture whose store reads the time from a
// clock the test moves.
func newClockFixture(t *testing.T, url string) *queueFixture {
	t.Helper()
	c := storagetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	return setUpQueueFixture(t, url, storagetest.OpenClock(t, url, c), c)
}

func setUpQueueFixture(t *testing.T, url string, s *storage.Store, c *storagetest.Clock) *queueFixture {
	t.Helper()
	a := &storage.Actor{Username: "icssi", PrivateKeyPEM: "private pem", PublicKeyPEM: "public pem"}
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	f := &queueFixture{s: s, url: url, actor: a, clock: c}
	f.act = f.activity(t, "1")
	return f
}

func (f *queueFixture) activity(t *testing.T, n string) *storage.Activity {
	t.Helper()
	act := &storage.Activity{IRI: "https://node.example/activities/" + n, Direction: storage.Outbound, Type: "Create",
		ActorIRI: "https://node.example/users/icssi", LocalActorID: f.actor.ID, Body: []byte(`{"type":"Create","n":"` + n + `"}`)}
	if _, err := f.s.SaveActivity(ctx, act); err != nil {
		t.Fatal(err)
	}
	return act
}

func (f *queueFixture) enqueue(t *testing.T, act *storage.Activity, inboxes ...string) int {
	t.Helper()
	n, err := f.s.EnqueueDeliveries(ctx, act.ID, f.actor.ID, inboxes)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *queueFixture) claim(t *testing.T, worker string, lease time.Duration, limit int, skip ...string) []*storage.ClaimedDelivery {
	t.Helper()
	got, err := f.s.ClaimDeliveries(ctx, worker, lease, limit, skip)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *queueFixture) delivery(t *testing.T, id int64) *storage.Delivery {
	t.Helper()
	d, err := f.s.DeliveryByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func inboxesOf(cs []*storage.ClaimedDelivery) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Inbox)
	}
	return strings.Join(out, " ")
}

func testEnqueueDedupe(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	if n := f.enqueue(t, f.act, "https://A.Example/inbox", "https://b.example/users/x/inbox", "https://A.Example/inbox", ""); n != 2 {
		t.Fatalf("first enqueue added %d rows, want 2", n)
	}
	if n := f.enqueue(t, f.act, "https://A.Example/inbox", "https://c.example:443/inbox", "not a url"); n != 2 {
		t.Fatalf("re-enqueue added %d rows, want 2 (c and the bad one)", n)
	}
	list, err := f.s.DeliveriesOf(ctx, f.act.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range list {
		got = append(got, d.Inbox+"@"+d.Host)
		if d.State != storage.DeliveryPending || d.Attempts != 0 || d.LockedUntil != nil || d.SignerActorID != f.actor.ID ||
			d.NextAttemptAt.After(time.Now()) || d.CreatedAt.IsZero() {
			t.Errorf("fresh row %+v", d)
		}
	}
	want := "https://A.Example/inbox@a.example https://b.example/users/x/inbox@b.example https://c.example:443/inbox@c.example not a url@"
	if strings.Join(got, " ") != want {
		t.Fatalf("rows:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	// Inside a transaction that rolls back, the rows go with the activity.
	boom := errors.New("boom")
	err = f.s.Tx(ctx, func(tx *storage.Store) error {
		act := &storage.Activity{IRI: "https://node.example/activities/rolled-back", Direction: storage.Outbound, Type: "Create",
			ActorIRI: "https://node.example/users/icssi", Body: []byte(`{}`)}
		if _, err := tx.SaveActivity(ctx, act); err != nil {
			return err
		}
		if _, err := tx.EnqueueDeliveries(ctx, act.ID, f.actor.ID, []string{"https://d.example/inbox"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM deliveries`); n != 4 {
		t.Fatalf("%d rows after a rolled-back enqueue, want 4", n)
	}
}

func testEnqueueLarge(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	inboxes := make([]string, 10000)
	for i := range inboxes {
		inboxes[i] = fmt.Sprintf("https://h%d.example/users/u%d/inbox", i%1000, i)
	}
	start := time.Now()
	var n int
	err := f.s.Tx(ctx, func(tx *storage.Store) error {
		act := &storage.Activity{IRI: "https://node.example/activities/big", Direction: storage.Outbound, Type: "Create",
			ActorIRI: "https://node.example/users/icssi", Body: []byte(`{}`)}
		if _, err := tx.SaveActivity(ctx, act); err != nil {
			return err
		}
		var err error
		n, err = tx.EnqueueDeliveries(ctx, act.ID, f.actor.ID, inboxes)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("10,000 deliveries enqueued in one transaction in %s", took)
	if n != 10000 || storagetest.Count(t, url, `SELECT COUNT(*) FROM deliveries`) != 10000 {
		t.Fatalf("enqueued %d", n)
	}
	if hosts := storagetest.Count(t, url, `SELECT COUNT(DISTINCT host) FROM deliveries`); hosts != 1000 {
		t.Fatalf("%d hosts, want 1000", hosts)
	}
	if took > 30*time.Second {
		t.Fatalf("enqueueing 10,000 took %s", took)
	}
}

func testClaimLease(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	f.enqueue(t, f.act, "https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox")
	const lease = 400 * time.Millisecond
	first := f.claim(t, "w1", lease, 10)
	if len(first) != 3 {
		t.Fatalf("claimed %d, want 3", len(first))
	}
	for _, c := range first {
		if string(c.Body) != string(f.act.Body) || c.SignerUsername != "icssi" || c.SignerKeyPEM != "private pem" ||
			c.SignerIsInstance || !c.ActivityCreatedAt.Equal(f.act.CreatedAt) || c.LockedBy != "w1" ||
			c.LockedUntil == nil || c.ActivityID != f.act.ID {
			t.Fatalf("claimed %+v", c)
		}
	}
	// A leased row is due again when its lease ends, and not before: it
	// waits at the back of the due index, not in front of the rows that
	// other claims can take.
	for _, c := range first {
		if d := f.delivery(t, c.ID); d.LockedUntil == nil || !d.NextAttemptAt.Equal(*d.LockedUntil) || !c.NextAttemptAt.Equal(*c.LockedUntil) {
			t.Fatalf("leased row due at %v (claim said %v), lease until %v", d.NextAttemptAt, c.NextAttemptAt, d.LockedUntil)
		}
	}
	if again := f.claim(t, "w2", lease, 10); len(again) != 0 {
		t.Fatalf("leased rows claimed again: %s", inboxesOf(again))
	}
	// A row settled for later is not due when the lease runs out.
	if err := f.s.DeliveryRetry(ctx, first[0].ID, 503, "busy", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lease + 100*time.Millisecond)
	second := f.claim(t, "w2", time.Minute, 1)
	if len(second) != 1 || second[0].LockedBy != "w2" || second[0].Inbox != first[1].Inbox {
		t.Fatalf("after the lease, limit 1: %s (want %s)", inboxesOf(second), first[1].Inbox)
	}
	rest := f.claim(t, "w2", time.Minute, 10)
	if len(rest) != 1 || rest[0].Inbox != first[2].Inbox {
		t.Fatalf("after the lease: %s, want %s", inboxesOf(rest), first[2].Inbox)
	}
	if got := f.claim(t, "w3", time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %s with nothing due", inboxesOf(got))
	}
	// A worker shutting down hands back what it has not started: due at
	// once for others, no attempt counted. Another worker's rows stay.
	ids := []int64{second[0].ID, rest[0].ID}
	if n, err := f.s.ReleaseDeliveries(ctx, "w1", ids); err != nil || n != 0 {
		t.Fatalf("w1 released %d of w2's rows: %v", n, err)
	}
	if n, err := f.s.ReleaseDeliveries(ctx, "w2", ids); err != nil || n != 2 {
		t.Fatalf("w2 released %d of its 2 rows: %v", n, err)
	}
	back := f.claim(t, "w3", time.Minute, 10)
	if len(back) != 2 || back[0].Attempts != 0 || back[0].LockedBy != "w3" {
		t.Fatalf("after release claimed %+v", back)
	}
}

func testClaimOnePerHost(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	f.enqueue(t, f.act, "https://a.example/users/1/inbox", "https://a.example/users/2/inbox", "https://a.example/users/3/inbox",
		"https://b.example/users/1/inbox", "https://b.example/users/2/inbox")
	var rounds []string
	for i := 0; i < 4; i++ {
		var hosts []string
		for _, c := range f.claim(t, "w", time.Minute, 10) {
			hosts = append(hosts, c.Host)
		}
		rounds = append(rounds, fmt.Sprint(hosts))
	}
	if got := strings.Join(rounds, " "); got != "[a.example b.example] [a.example b.example] [a.example] []" {
		t.Fatalf("claims per round: %s", got)
	}
}

func testClaimSkipHosts(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	f.enqueue(t, f.act, "https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox")
	got := f.claim(t, "w", time.Minute, 10, "a.example", "c.example")
	if len(got) != 1 || got[0].Host != "b.example" {
		t.Fatalf("skipping a and c claimed %s", inboxesOf(got))
	}
	if got := f.claim(t, "w", time.Minute, 10, "a.example"); len(got) != 1 || got[0].Host != "c.example" {
		t.Fatalf("skipping a claimed %s", inboxesOf(got))
	}
}

// testClaimConcurrent: four claimers on two Stores (two connection pools,
// as two processes would have) never get the same row.
func testClaimConcurrent(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	const rows = 300
	var inboxes []string
	for i := 0; i < rows; i++ {
		inboxes = append(inboxes, fmt.Sprintf("https://h%d.example/users/u%d/inbox", i%100, i))
	}
	f.enqueue(t, f.act, inboxes...)
	stores := []*storage.Store{f.s, storagetest.Open(t, url)}
	var mu sync.Mutex
	claimedBy := map[int64]int{}
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	deadline := time.Now().Add(60 * time.Second)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			s := stores[g%2]
			for total.Load() < rows && time.Now().Before(deadline) {
				got, err := s.ClaimDeliveries(ctx, fmt.Sprintf("w%d", g), time.Hour, 7, nil)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, c := range got {
					if prev, dup := claimedBy[c.ID]; dup {
						errs <- fmt.Errorf("delivery %d claimed by claimer %d and %d", c.ID, prev, g)
					}
					claimedBy[c.ID] = g
				}
				mu.Unlock()
				total.Add(int64(len(got)))
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	per := map[int]int{}
	for _, g := range claimedBy {
		per[g]++
	}
	t.Logf("rows per claimer: %v", per)
	if len(claimedBy) != rows || total.Load() != rows {
		t.Fatalf("claimed %d distinct rows in %d claims, want %d", len(claimedBy), total.Load(), rows)
	}
}

func testDeliveryTransitions(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	f.enqueue(t, f.act, "https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox")
	c := f.claim(t, "w", time.Minute, 10)
	if len(c) != 3 {
		t.Fatalf("claimed %d", len(c))
	}
	if err := f.s.DeliveryDone(ctx, c[0].ID, 202); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 400) + "\x00\xff" // 800 bytes of two-byte runes, a NUL, invalid UTF-8
	next := time.Now().Add(time.Hour)
	if err := f.s.DeliveryRetry(ctx, c[1].ID, 503, long, next); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeliveryFailed(ctx, c[2].ID, 400, "bad request"); err != nil {
		t.Fatal(err)
	}
	done, retry, failed := f.delivery(t, c[0].ID), f.delivery(t, c[1].ID), f.delivery(t, c[2].ID)
	for _, d := range []*storage.Delivery{done, retry, failed} {
		if d.Attempts != 1 || d.LockedUntil != nil || d.LockedBy != "" {
			t.Errorf("settled row keeps its lease or miscounts: %+v", d)
		}
	}
	if done.State != storage.DeliveryDone || done.LastStatus != 202 || done.LastError != "" {
		t.Errorf("done: %+v", done)
	}
	if retry.State != storage.DeliveryPending || retry.LastStatus != 503 || !retry.NextAttemptAt.Equal(next.UTC().Truncate(time.Microsecond)) {
		t.Errorf("retry: state %s status %d next %v (want %v)", retry.State, retry.LastStatus, retry.NextAttemptAt, next)
	}
	if len(retry.LastError) > 500 || !utf8.ValidString(retry.LastError) || !strings.HasPrefix(retry.LastError, "éé") {
		t.Errorf("last error kept as %d bytes, valid UTF-8 %v", len(retry.LastError), utf8.ValidString(retry.LastError))
	}
	if failed.State != storage.DeliveryFailed || failed.LastStatus != 400 || failed.LastError != "bad request" {
		t.Errorf("failed: %+v", failed)
	}
	if got := f.claim(t, "w", time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %s: nothing is due", inboxesOf(got))
	}
	if err := f.s.DeliveryDone(ctx, 1<<40, 202); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("settling a missing row: %v", err)
	}
	// A second attempt counts again.
	if _, err := f.s.RetryDeliveries(ctx, "b.example"); err != nil {
		t.Fatal(err)
	}
	again := f.claim(t, "w", time.Minute, 10)
	if len(again) != 1 || again[0].Attempts != 1 {
		t.Fatalf("reclaimed %+v", again)
	}
	if err := f.s.DeliveryDone(ctx, again[0].ID, 200); err != nil {
		t.Fatal(err)
	}
	if d := f.delivery(t, again[0].ID); d.Attempts != 2 || d.State != storage.DeliveryDone {
		t.Fatalf("after a second attempt: %+v", d)
	}
}

func testDeliveryStats(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	empty, err := f.s.DeliveryStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Pending != 0 || empty.OldestPending != nil || len(empty.Hosts) != 0 {
		t.Fatalf("empty queue: %+v", empty)
	}
	f.enqueue(t, f.act, "https://a.example/users/1/inbox", "https://a.example/users/2/inbox", "https://a.example/users/3/inbox",
		"https://b.example/users/1/inbox", "https://b.example/users/2/inbox", "https://b.example/users/3/inbox",
		"https://c.example/inbox")
	list, err := f.s.DeliveriesOf(ctx, f.act.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		switch {
		case d.Inbox == "https://c.example/inbox":
			must(t, f.s.DeliveryDone(ctx, d.ID, 202))
		case d.Host == "b.example" && d.Inbox != "https://b.example/users/1/inbox":
			must(t, f.s.DeliveryFailed(ctx, d.ID, 403, "forbidden by "+d.Inbox))
		}
	}
	if _, err := f.s.HostFailed(ctx, "b.example", "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.HoldHost(ctx, "b.example", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.claim(t, "w", time.Minute, 1) // one row of a leased
	st, err := f.s.DeliveryStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 4 || st.Leased != 1 || st.Done != 1 || st.Failed != 2 || st.OldestPending == nil ||
		st.OldestPending.After(time.Now()) {
		t.Fatalf("stats %+v", st)
	}
	if len(st.Hosts) != 2 {
		t.Fatalf("hosts %+v", st.Hosts)
	}
	a, b := st.Hosts[0], st.Hosts[1]
	if a.Host != "a.example" || a.Pending != 3 || a.Failed != 0 || a.LastError != "" || a.UnavailableSince != nil {
		t.Errorf("host a: %+v", a)
	}
	if b.Host != "b.example" || b.Pending != 1 || b.Failed != 2 || b.LastStatus != 403 ||
		!strings.HasPrefix(b.LastError, "forbidden by https://b.example/users/") || b.UnavailableSince == nil {
		t.Errorf("host b: %+v", b)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testRetryDeliveries(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	f.enqueue(t, f.act, "https://a.example/users/1/inbox", "https://a.example/users/2/inbox", "https://b.example/inbox",
		"https://c.example/inbox")
	list, err := f.s.DeliveriesOf(ctx, f.act.ID)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	must(t, f.s.DeliveryFailed(ctx, list[0].ID, 400, "no"))         // a/1
	must(t, f.s.DeliveryRetry(ctx, list[1].ID, 503, "busy", later)) // a/2
	must(t, f.s.DeliveryFailed(ctx, list[2].ID, 400, "no"))         // b
	if got := f.claim(t, "w", time.Minute, 10); len(got) != 1 || got[0].Host != "c.example" {
		t.Fatalf("claimed %s, want only c", inboxesOf(got))
	}
	n, err := f.s.RetryDeliveries(ctx, "A.example")
	if err != nil || n != 2 {
		t.Fatalf("retry a: %d, %v", n, err)
	}
	for _, id := range []int64{list[0].ID, list[1].ID} {
		if d := f.delivery(t, id); d.State != storage.DeliveryPending || d.NextAttemptAt.After(time.Now()) {
			t.Errorf("after retry: %+v", d)
		}
	}
	if d := f.delivery(t, list[2].ID); d.State != storage.DeliveryFailed {
		t.Errorf("b was retried too: %+v", d)
	}
	// All: b's failed row, a's two pending rows; c is leased and stays with its worker.
	if n, err := f.s.RetryDeliveries(ctx, ""); err != nil || n != 3 {
		t.Fatalf("retry all: %d, %v", n, err)
	}
	got := f.claim(t, "w", time.Minute, 10)
	if len(got) != 2 {
		t.Fatalf("claimed %s after retry, want one of a and b", inboxesOf(got))
	}
}

func testExpireAndPurge(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	f.enqueue(t, f.act, "https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox", "https://d.example/inbox")
	list, err := f.s.DeliveriesOf(ctx, f.act.ID)
	if err != nil {
		t.Fatal(err)
	}
	must(t, f.s.DeliveryDone(ctx, list[0].ID, 202))                                     // a: done
	must(t, f.s.DeliveryRetry(ctx, list[1].ID, 503, "busy", time.Now().Add(time.Hour))) // b: waiting
	// c: due; d: leased
	if got := f.claim(t, "w", time.Minute, 10, "c.example"); len(got) != 1 || got[0].Host != "d.example" {
		t.Fatalf("claimed %s", inboxesOf(got))
	}
	cutoff := time.Now().Add(time.Minute) // the activity is older than this
	if n, err := f.s.ExpireDeliveries(ctx, time.Now().Add(-time.Hour), "too old"); err != nil || n != 0 {
		t.Fatalf("expire with an old cutoff: %d, %v", n, err)
	}
	n, err := f.s.ExpireDeliveries(ctx, cutoff, "gave up: too old")
	if err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	if d := f.delivery(t, list[1].ID); d.State != storage.DeliveryFailed || d.LastError != "gave up: too old" {
		t.Fatalf("waiting row after expiry: %+v", d)
	}
	for _, i := range []int{2, 3} {
		if d := f.delivery(t, list[i].ID); d.State != storage.DeliveryPending {
			t.Fatalf("due or leased row expired: %+v", d)
		}
	}
	if n, err := f.s.PurgeDeliveries(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("purge of older rows: %d, %v", n, err)
	}
	if n, err := f.s.PurgeDeliveries(ctx, cutoff); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if _, err := f.s.DeliveryByID(ctx, list[0].ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("purged row: %v", err)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM deliveries`); n != 3 {
		t.Fatalf("%d rows left, want 3", n)
	}
}

func testRemoveFollowersByInbox(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	other := &storage.Actor{Username: "partner", PrivateKeyPEM: "p", PublicKeyPEM: "q"}
	must(t, f.s.CreateActor(ctx, other))
	remote := func(name, inbox, shared string) *storage.RemoteActor {
		r := &storage.RemoteActor{IRI: "https://" + name, Host: strings.Split(name, "/")[0], Username: name, Inbox: inbox,
			SharedInbox: shared, ExpiresAt: time.Now().Add(time.Hour)}
		must(t, f.s.UpsertRemoteActor(ctx, r))
		for _, a := range []*storage.Actor{f.actor, other} {
			must(t, f.s.PutFollower(ctx, a.ID, r.ID, r.IRI+"/follow", storage.FollowAccepted))
		}
		return r
	}
	p1 := remote("x.example/users/p1", "https://x.example/users/p1/inbox", "https://x.example/inbox")
	p2 := remote("x.example/users/p2", "https://x.example/users/p2/inbox", "https://x.example/inbox")
	p3 := remote("y.example/users/p3", "https://y.example/users/p3/inbox", "")
	solo := remote("s.example/users/me", "https://s.example/inbox", "https://s.example/inbox") // single-user server
	following := func(r *storage.RemoteActor) bool {
		_, err := f.s.Follower(ctx, f.actor.ID, r.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	cases := []struct {
		inbox string
		want  int
	}{
		{"https://x.example/inbox", 0},          // a shared inbox: says nothing about anyone
		{"https://s.example/inbox", 0},          // personal and shared at once: treated as shared
		{"https://nowhere.example/inbox", 0},    // nobody's
		{"https://x.example/users/p1/inbox", 2}, // p1's own inbox: both follows of p1
		{"https://y.example/users/p3/inbox", 2},
	}
	for _, c := range cases {
		n, err := f.s.RemoveFollowersByInbox(ctx, c.inbox)
		if err != nil || n != c.want {
			t.Errorf("RemoveFollowersByInbox(%s) = %d, %v; want %d", c.inbox, n, err, c.want)
		}
	}
	if following(p1) || !following(p2) || following(p3) || !following(solo) {
		t.Fatalf("following: p1 %v p2 %v p3 %v solo %v; want false true false true", following(p1), following(p2), following(p3), following(solo))
	}
}

// testHostFacts: the store records a host's run of failures and its end;
// it never decides on its own that a host is unavailable, however many
// failures over however long.
func testHostFacts(t *testing.T, url string) {
	f := newClockFixture(t, url)
	host := func(name string) *storage.Host {
		t.Helper()
		h, err := f.s.HostByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	available := func(name string) bool {
		t.Helper()
		ok, err := f.s.HostAvailable(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !available("unknown.example") {
		t.Fatal("a host never seen is unavailable")
	}
	if _, err := f.s.HostByName(ctx, "unknown.example"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("HostByName of an unknown host: %v", err)
	}

	// A run of failures: it starts at the first one and keeps that start
	// however long it goes on; each failure is counted with its error.
	start := f.clock.Now()
	h, err := f.s.HostFailed(ctx, "dead.example", "dial tcp: connection refused")
	if err != nil {
		t.Fatal(err)
	}
	if h.Host != "dead.example" || h.Failures != 1 || h.FailingSince == nil || !h.FailingSince.Equal(start) ||
		h.LastFailureAt == nil || !h.LastFailureAt.Equal(start) || h.LastError != "dial tcp: connection refused" ||
		h.UnavailableSince != nil || h.HoldUntil != nil || h.LastSuccessAt != nil {
		t.Fatalf("after the first failure: %+v", h)
	}
	for i := 0; i < 24; i++ {
		f.clock.Advance(5 * time.Minute)
		if h, err = f.s.HostFailed(ctx, "dead.example", fmt.Sprintf("503 Service Unavailable #%d", i+2)); err != nil {
			t.Fatal(err)
		}
	}
	if h.Failures != 25 || !h.FailingSince.Equal(start) || !h.LastFailureAt.Equal(start.Add(2*time.Hour)) ||
		h.LastError != "503 Service Unavailable #25" {
		t.Fatalf("after 25 failures over two hours: %+v", h)
	}
	// Twenty-five failures over two hours: policy would call that dead,
	// but the store only records it.
	if h.UnavailableSince != nil || h.HoldUntil != nil || !available("dead.example") {
		t.Fatalf("the store put a host on hold by itself: %+v", h)
	}
	if got := host("dead.example"); got.Failures != 25 || !got.FailingSince.Equal(start) {
		t.Fatalf("HostByName: %+v", got)
	}
	if list, err := f.s.UnavailableHosts(ctx); err != nil || len(list) != 0 {
		t.Fatalf("unavailable hosts: %+v, %v", list, err)
	}

	// An error text is stored as the delivery rows store theirs: valid
	// UTF-8, no NUL, at most 500 bytes.
	h, err = f.s.HostFailed(ctx, "dead.example", "\x00"+strings.Repeat("خطأ", 300))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.LastError) > 500 || !utf8.ValidString(h.LastError) || strings.ContainsRune(h.LastError, 0) {
		t.Fatalf("stored error text: %d bytes, valid %v", len(h.LastError), utf8.ValidString(h.LastError))
	}

	// A success ends the run; the next failure starts a new one.
	f.clock.Advance(time.Minute)
	must(t, f.s.HostSucceeded(ctx, "dead.example"))
	h = host("dead.example")
	if h.Failures != 0 || h.FailingSince != nil || h.LastError != "" || h.LastSuccessAt == nil ||
		!h.LastSuccessAt.Equal(f.clock.Now()) {
		t.Fatalf("after a success: %+v", h)
	}
	f.clock.Advance(time.Minute)
	if h, err = f.s.HostFailed(ctx, "dead.example", "timeout"); err != nil {
		t.Fatal(err)
	}
	if h.Failures != 1 || !h.FailingSince.Equal(f.clock.Now()) {
		t.Fatalf("a failure after a success: %+v", h)
	}
}

// testHostHold: a host on hold is unavailable; its deliveries are not
// claimed until the hold runs out (on the store's clock), and the first
// success lifts the hold and makes its pushed-back deliveries due at once.
func testHostHold(t *testing.T, url string) {
	f := newClockFixture(t, url)
	f.enqueue(t, f.act, "https://dead.example/users/1/inbox", "https://dead.example/users/2/inbox", "https://alive.example/inbox")
	held := f.clock.Now()
	if _, err := f.s.HostFailed(ctx, "dead.example", "503"); err != nil {
		t.Fatal(err)
	}
	since, err := f.s.HoldHost(ctx, "dead.example", held.Add(time.Hour))
	if err != nil || !since.Equal(held) {
		t.Fatalf("hold: since %v, %v; want %v", since, err, held)
	}
	if ok, err := f.s.HostAvailable(ctx, "dead.example"); err != nil || ok {
		t.Fatalf("a held host is available: %v, %v", ok, err)
	}
	list, err := f.s.UnavailableHosts(ctx)
	if err != nil || len(list) != 1 || list[0].Host != "dead.example" || list[0].HoldUntil == nil ||
		!list[0].HoldUntil.Equal(held.Add(time.Hour)) || !list[0].UnavailableSince.Equal(held) {
		t.Fatalf("unavailable hosts: %+v, %v", list, err)
	}
	got := f.claim(t, "w", time.Minute, 10)
	if len(got) != 1 || got[0].Host != "alive.example" {
		t.Fatalf("claimed %s; dead.example is on hold", inboxesOf(got))
	}
	must(t, f.s.DeliveryDone(ctx, got[0].ID, 202))

	// The worker parks the host's queue until the hold ends.
	if n, err := f.s.PostponeHost(ctx, "dead.example", held.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("postpone: %d, %v", n, err)
	}
	f.clock.Advance(59 * time.Minute)
	if got := f.claim(t, "w", time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %s a minute before the hold ends", inboxesOf(got))
	}
	// Held again (a failed probe, say): the hold moves, the host stays
	// unavailable since the first hold.
	f.clock.Advance(30 * time.Second)
	since, err = f.s.HoldHost(ctx, "dead.example", f.clock.Now().Add(time.Hour))
	if err != nil || !since.Equal(held) {
		t.Fatalf("hold again: since %v, %v; want %v", since, err, held)
	}
	f.clock.Advance(30 * time.Second) // the first hold's end: the second still holds
	if got := f.claim(t, "w", time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %s while held again", inboxesOf(got))
	}
	f.clock.Advance(time.Hour) // the second hold's end
	if got := f.claim(t, "w", time.Minute, 10); len(got) != 1 || got[0].Host != "dead.example" {
		t.Fatalf("when the hold ran out claimed %s, want one dead.example row (one per host per claim)", inboxesOf(got))
	}

	// A success lifts the hold and brings the pushed-back rows forward.
	must(t, f.s.HostSucceeded(ctx, "dead.example"))
	h, err := f.s.HostByName(ctx, "dead.example")
	if err != nil || h.Failures != 0 || h.UnavailableSince != nil || h.HoldUntil != nil || h.LastSuccessAt == nil {
		t.Fatalf("after a success: %+v, %v", h, err)
	}
	if ok, _ := f.s.HostAvailable(ctx, "dead.example"); !ok {
		t.Fatal("a success did not make the host available")
	}
	if got := f.claim(t, "w", time.Minute, 10); len(got) != 1 || got[0].Host != "dead.example" {
		t.Fatalf("after recovery claimed %s", inboxesOf(got))
	}
}
