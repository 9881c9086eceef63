package storage_test

import (
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestWebSubContract: the hub's bounds, verification, leases, the topic
// versions' compare-and-set and the queue, on both databases.
func TestWebSubContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testWebSub(t, b.URL) })
	}
}

const (
	wsTopic = "https://node.example/feed.atom"
	wsOther = "https://node.example/feed.rss"
)

func intent(mode, callback, host string) storage.WebSubIntent {
	return storage.WebSubIntent{Mode: mode, Topic: wsTopic, Callback: callback, Host: host, Secret: "k", LeaseSeconds: 3600}
}

// claimAll claims every due job.
func claimAll(t *testing.T, s *storage.Store, worker string) []*storage.WebSubJob {
	t.Helper()
	jobs, err := s.ClaimWebSubJobs(ctx, worker, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func testWebSub(t *testing.T, url string) {
	clock := storagetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	s := storagetest.OpenClock(t, url, clock)
	lim := storage.WebSubLimits{MaxSubscriptions: 3, MaxPerHost: 2, MaxPending: 4}

	// Bounds: two per host, pending ones included.
	for _, cb := range []string{"https://a.example/1", "https://a.example/2"} {
		if err := s.QueueWebSubVerification(ctx, intent("subscribe", cb, "a.example"), lim); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.QueueWebSubVerification(ctx, intent("subscribe", "https://a.example/3", "a.example"), lim); !errors.Is(err, storage.ErrWebSubFull) {
		t.Errorf("third callback on one host: %v, want ErrWebSubFull", err)
	}
	// A repeated request replaces the pending one instead of taking a place.
	if err := s.QueueWebSubVerification(ctx, intent("subscribe", "https://a.example/2", "a.example"), lim); err != nil {
		t.Errorf("repeated request: %v", err)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM websub_jobs WHERE kind = 'verify'`); n != 2 {
		t.Errorf("%d pending verifications, want 2", n)
	}
	for _, cb := range []string{"https://b.example/1", "https://c.example/1"} {
		if err := s.QueueWebSubVerification(ctx, intent("subscribe", cb, cb[8:17]), lim); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.QueueWebSubVerification(ctx, intent("unsubscribe", "https://d.example/1", "d.example"), lim); !errors.Is(err, storage.ErrWebSubFull) {
		t.Errorf("fifth pending verification: %v, want ErrWebSubFull", err)
	}

	// Verification: each job goes to one claimer; confirming subscribes.
	jobs := claimAll(t, s, "w1")
	if len(jobs) != 4 || len(claimAll(t, s, "w2")) != 0 {
		t.Fatalf("claimed %d jobs, and again some", len(jobs))
	}
	for _, j := range jobs[:3] {
		if err := s.ConfirmWebSubscription(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishWebSubJob(ctx, jobs[3].ID); err != nil { // refused by its callback
		t.Fatal(err)
	}
	if _, err := s.ActiveWebSubscription(ctx, wsTopic, jobs[3].Target); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unverified callback subscribed: %v", err)
	}
	// The hub is full for new callbacks, not for renewals.
	if err := s.QueueWebSubVerification(ctx, intent("subscribe", "https://e.example/1", "e.example"), lim); !errors.Is(err, storage.ErrWebSubFull) {
		t.Errorf("fourth subscription: %v, want ErrWebSubFull", err)
	}
	renew := jobs[0]
	if err := s.QueueWebSubVerification(ctx, intent("subscribe", renew.Target, renew.Host), lim); err != nil {
		t.Errorf("renewal refused: %v", err)
	}

	// Leases: a renewal verified later extends the lease.
	clock.Advance(30 * time.Minute)
	r := claimAll(t, s, "w1")
	if len(r) != 1 {
		t.Fatalf("%d renewal jobs", len(r))
	}
	if err := s.ConfirmWebSubscription(ctx, r[0]); err != nil {
		t.Fatal(err)
	}
	clock.Advance(45 * time.Minute) // 75 minutes after the first verification
	if _, err := s.ActiveWebSubscription(ctx, wsTopic, renew.Target); err != nil {
		t.Errorf("renewed subscription: %v", err)
	}
	if _, err := s.ActiveWebSubscription(ctx, wsTopic, jobs[1].Target); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired subscription still active: %v", err)
	}

	// Topic versions: first sight moves, the same version does not, and
	// of two processes moving to one new version only one queues.
	hubs := []string{"https://hub.example/"}
	if moved, err := s.AdvanceWebSubTopic(ctx, "node", "v1", []string{wsTopic, wsOther}, hubs, false); err != nil || !moved {
		t.Fatalf("first version: %v %v", moved, err)
	}
	if moved, err := s.AdvanceWebSubTopic(ctx, "node", "v1", []string{wsTopic, wsOther}, hubs, true); err != nil || moved {
		t.Fatalf("same version: %v %v", moved, err)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM websub_jobs`); n != 0 {
		t.Fatalf("%d jobs queued without a change", n)
	}
	other := storagetest.OpenClock(t, url, clock)
	var wg sync.WaitGroup
	var mu sync.Mutex
	moves := 0
	for _, st := range []*storage.Store{s, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			moved, err := st.AdvanceWebSubTopic(ctx, "node", "v2", []string{wsTopic, wsOther}, hubs, true)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if moved {
				moves++
			}
		}()
	}
	wg.Wait()
	if moves != 1 {
		t.Errorf("%d processes moved the version, want 1", moves)
	}
	// The active subscription to wsTopic gets a push; the expired one
	// nothing; the hub a ping per topic.
	var got []string
	for _, j := range claimAll(t, s, "w1") {
		got = append(got, j.Kind+" "+j.Topic+" "+j.Target)
		if err := s.RetryWebSubJob(ctx, j.ID, 503, "busy", clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(got)
	want := []string{"ping " + wsTopic + " https://hub.example/", "ping " + wsOther + " https://hub.example/",
		"push " + wsTopic + " " + renew.Target}
	sort.Strings(want)
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("queued %q, want %q", got, want)
	}
	if len(claimAll(t, s, "w1")) != 0 {
		t.Error("a job put off for a minute was claimed at once")
	}
	clock.Advance(2 * time.Minute)
	if n := len(claimAll(t, s, "w1")); n != 3 {
		t.Errorf("%d jobs due after their retry time, want 3", n)
	}

	// Pruning: expired subscriptions go, with their queued pushes.
	clock.Advance(2 * time.Hour)
	if n, err := s.PruneWebSub(ctx, 7*24*time.Hour); err != nil || n != 4 {
		t.Errorf("PruneWebSub = %d, %v; want 3 subscriptions and 1 push", n, err)
	}
	topics, err := s.WebSubscribedTopics(ctx)
	if err != nil || len(topics) != 0 {
		t.Errorf("topics after expiry: %q %v", topics, err)
	}
}
