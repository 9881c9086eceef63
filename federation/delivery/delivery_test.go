package delivery_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// backends runs fn against a fresh SQLite file and a fresh PostgreSQL
// database (when one is reachable).
func backends(t *testing.T, fn func(t *testing.T, url string)) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.URL) })
	}
}

func TestFanOut(t *testing.T) { backends(t, testFanOut) }

// testFanOut: every distinct inbox (a server's shared inbox, or a
// follower's own) gets exactly one signed POST of the activity.
func testFanOut(t *testing.T, url string) {
	e := newEnv(t, url)
	var servers []*inboxServer
	want := map[*inboxServer]string{}
	for i := 0; i < 3; i++ { // servers with a shared inbox and four followers each
		s := e.inboxServer(nil)
		for j := 0; j < 4; j++ {
			e.follow(fmt.Sprintf("s%d_%d", i, j), fmt.Sprintf("%s/users/u%d/inbox", s.URL, j), s.URL+"/inbox")
		}
		servers = append(servers, s)
		want[s] = "/inbox"
	}
	for i := 0; i < 6; i++ { // servers without one
		s := e.inboxServer(nil)
		e.follow(fmt.Sprintf("p%d", i), s.URL+"/users/p/inbox", "")
		servers = append(servers, s)
		want[s] = "/users/p/inbox"
	}
	act := e.publish()
	if n := len(e.rows(act)); n != 9 {
		t.Fatalf("%d rows queued for 18 followers on 9 inboxes", n)
	}
	w := e.worker(nil, delivery.Config{})
	run(t, w)
	w.Notify()
	eventually(t, "every delivery is settled", func() bool { return e.settled(act) })
	time.Sleep(100 * time.Millisecond) // room for a stray second POST to show
	for _, s := range servers {
		s.check(t)
		s.mu.Lock()
		if len(s.got) != 1 || s.got[want[s]] != 1 {
			t.Errorf("%s got %v, want one POST to %s", s.URL, s.got, want[s])
		}
		if b := s.bodies[want[s]]; len(b) != 1 || b[0] != string(act.Body) {
			t.Errorf("%s got bodies %q", s.URL, b)
		}
		s.mu.Unlock()
	}
	for inbox, d := range e.rows(act) {
		if d.State != storage.DeliveryDone || d.Attempts != 1 || d.LastStatus != http.StatusAccepted || d.LockedUntil != nil {
			t.Errorf("%s: %+v", inbox, d)
		}
	}
}

func TestRetry(t *testing.T) { backends(t, testRetry) }

// testRetry: a server answering 503 twice, then 202, gets the activity on
// the third attempt; its failure count is back to zero.
func testRetry(t *testing.T, url string) {
	e := newEnv(t, url)
	s := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		if n <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	e.follow("a", s.URL+"/inbox", "")
	act := e.publish()
	w := e.worker(nil, delivery.Config{RetryBase: 20 * time.Millisecond})
	run(t, w)
	w.Notify()
	eventually(t, "the third attempt", func() bool { return e.settled(act) })
	s.check(t)
	d := e.rows(act)[s.URL+"/inbox"]
	if d.State != storage.DeliveryDone || d.Attempts != 3 || d.LastStatus != http.StatusAccepted || s.count("/inbox") != 3 {
		t.Fatalf("after 503, 503, 202: %+v, %d POSTs", d, s.count("/inbox"))
	}
	h, err := e.store.HostByName(bg, d.Host)
	if err != nil || h.Failures != 0 || h.UnavailableSince != nil {
		t.Fatalf("host after recovering: %+v, %v", h, err)
	}
}

func TestPermanentFailure(t *testing.T) { backends(t, testPermanentFailure) }

// testPermanentFailure: a 400 is not retried.
func testPermanentFailure(t *testing.T, url string) {
	e := newEnv(t, url)
	s := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		http.Error(w, "we do not take Creates", http.StatusBadRequest)
	})
	f := e.follow("a", s.URL+"/inbox", "")
	act := e.publish()
	w := e.worker(nil, delivery.Config{RetryBase: 10 * time.Millisecond})
	run(t, w)
	w.Notify()
	eventually(t, "the delivery fails", func() bool { return e.settled(act) })
	time.Sleep(300 * time.Millisecond) // thirty retry bases: no second POST
	s.check(t)
	d := e.rows(act)[s.URL+"/inbox"]
	if d.State != storage.DeliveryFailed || d.Attempts != 1 || d.LastStatus != 400 ||
		!strings.Contains(d.LastError, "we do not take Creates") || s.count("/inbox") != 1 {
		t.Fatalf("after a 400: %+v, %d POSTs", d, s.count("/inbox"))
	}
	if _, err := e.store.Follower(bg, e.actor.ID, f.ID); err != nil {
		t.Fatalf("a 400 ended the follow: %v", err)
	}
}

func TestRetryAfter(t *testing.T) { backends(t, testRetryAfter) }

// testRetryAfter: a 429 with Retry-After: 120 is not tried again before two
// minutes, although the backoff alone would come back sooner.
func testRetryAfter(t *testing.T, url string) {
	e := newEnv(t, url)
	s := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	e.follow("a", s.URL+"/inbox", "")
	before := time.Now()
	act := e.publish()
	w := e.worker(nil, delivery.Config{RetryBase: time.Second})
	run(t, w)
	w.Notify()
	eventually(t, "the attempt is recorded", func() bool { return e.rows(act)[s.URL+"/inbox"].Attempts == 1 })
	d := e.rows(act)[s.URL+"/inbox"]
	if d.State != storage.DeliveryPending || d.LastStatus != 429 || d.NextAttemptAt.Before(before.Add(120*time.Second)) ||
		d.NextAttemptAt.After(time.Now().Add(121*time.Second)) {
		t.Fatalf("after a 429 with Retry-After: 120 at %v: %+v", before, d)
	}
}

func TestGone(t *testing.T) { backends(t, testGone) }

// testGone: a 410 from an actor's own inbox ends its follow; a 410 from a
// shared inbox ends nobody's.
func testGone(t *testing.T, url string) {
	e := newEnv(t, url)
	gone := func(w http.ResponseWriter, r *http.Request, path string, n int) {
		http.Error(w, "gone", http.StatusGone)
	}
	personal, shared := e.inboxServer(gone), e.inboxServer(gone)
	p := e.follow("p", personal.URL+"/users/p/inbox", "")
	q1 := e.follow("q1", shared.URL+"/users/q1/inbox", shared.URL+"/inbox")
	q2 := e.follow("q2", shared.URL+"/users/q2/inbox", shared.URL+"/inbox")
	act := e.publish()
	w := e.worker(nil, delivery.Config{})
	run(t, w)
	w.Notify()
	eventually(t, "both deliveries fail", func() bool { return e.settled(act) })
	for inbox, d := range e.rows(act) {
		if d.State != storage.DeliveryFailed || d.LastStatus != http.StatusGone {
			t.Errorf("%s: %+v", inbox, d)
		}
	}
	if _, err := e.store.Follower(bg, e.actor.ID, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the follow of the actor whose inbox is gone remains: %v", err)
	}
	for _, q := range []*storage.RemoteActor{q1, q2} {
		if _, err := e.store.Follower(bg, e.actor.ID, q.ID); err != nil {
			t.Errorf("a 410 from a shared inbox ended the follow of %s: %v", q.Username, err)
		}
	}
}

func TestMaxAge(t *testing.T) { backends(t, testMaxAge) }

// testMaxAge: a failure more than MaxAge after the activity was created is
// final.
func testMaxAge(t *testing.T, url string) {
	e := newEnv(t, url)
	s := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	e.follow("a", s.URL+"/inbox", "")
	act := e.publish()
	w := e.worker(nil, delivery.Config{Now: func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }})
	run(t, w)
	w.Notify()
	eventually(t, "the delivery is given up", func() bool { return e.settled(act) })
	d := e.rows(act)[s.URL+"/inbox"]
	if d.State != storage.DeliveryFailed || d.Attempts != 1 || !strings.HasPrefix(d.LastError, "gave up after 1 attempts") {
		t.Fatalf("a week and a day later: %+v", d)
	}
}

func TestUnavailableHost(t *testing.T) { backends(t, testUnavailableHost) }

// testUnavailableHost: the failure that makes a host unavailable parks its
// whole queue for an hour; one probe an hour later succeeds and the rest
// follows at once.
func testUnavailableHost(t *testing.T, url string) {
	e := newClockEnv(t, url)
	var up atomic.Bool
	s := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	host := storage.InboxHost(s.URL)
	// Nine failures in a row over two hours: the next failure is the tenth.
	for i := 0; i < 9; i++ {
		if _, err := e.store.HostFailed(bg, host, "503 Service Unavailable"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.clock.Advance(2 * time.Hour)
		}
	}
	for i := 0; i < 3; i++ {
		e.follow(fmt.Sprintf("u%d", i), fmt.Sprintf("%s/users/u%d/inbox", s.URL, i), "")
	}
	act := e.publish()
	w := e.worker(nil, delivery.Config{PerHost: 1, RetryBase: 10 * time.Millisecond})
	run(t, w)
	w.Notify()
	total := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, c := range s.got {
			n += c
		}
		return n
	}
	eventually(t, "the probe is recorded", func() bool {
		for _, d := range e.rows(act) {
			if d.Attempts > 0 {
				return true
			}
		}
		return false
	})
	time.Sleep(300 * time.Millisecond)
	if n := total(); n != 1 {
		t.Fatalf("%d POSTs to a host that became unavailable at the first", n)
	}
	if ok, err := e.store.HostAvailable(bg, host); err != nil || ok {
		t.Fatalf("host available: %v, %v", ok, err)
	}
	for inbox, d := range e.rows(act) {
		if d.State != storage.DeliveryPending || d.NextAttemptAt.Before(e.clock.Now().Add(time.Hour)) {
			t.Errorf("%s not parked for an hour: %+v", inbox, d)
		}
	}
	if h, err := e.store.HostByName(bg, host); err != nil || h.HoldUntil == nil || !h.HoldUntil.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("held until %v (%v), want an hour from now", h, err)
	}
	// An hour later the host is back; the probe row comes due.
	up.Store(true)
	e.clock.Advance(time.Hour)
	w.Notify()
	eventually(t, "the queue drains after the probe", func() bool { return e.settled(act) })
	s.check(t)
	for inbox, d := range e.rows(act) {
		if d.State != storage.DeliveryDone {
			t.Errorf("%s: %+v", inbox, d)
		}
	}
	if n := total(); n != 4 {
		t.Errorf("%d POSTs in all, want 4 (a failed probe, then one each)", n)
	}
	if ok, _ := e.store.HostAvailable(bg, host); !ok {
		t.Error("the host is still unavailable after a success")
	}
}

func TestDeadHostConfig(t *testing.T) { backends(t, testDeadHostConfig) }

// testDeadHostConfig: the dead-host rule takes its thresholds from Config
// and measures the run from its first failure on the injected clock: a
// burst of failures at one moment is not enough, the same run once it is
// old enough is; the held host gets one probe per DeadHostRetry.
func testDeadHostConfig(t *testing.T, url string) {
	e := newClockEnv(t, url)
	s := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	host := storage.InboxHost(s.URL)
	for i := 0; i < 3; i++ {
		e.follow(fmt.Sprintf("u%d", i), fmt.Sprintf("%s/users/u%d/inbox", s.URL, i), "")
	}
	act := e.publish()
	w := e.worker(nil, delivery.Config{PerHost: 1, RetryBase: time.Minute,
		DeadHostFailures: 3, DeadHostSpan: 10 * time.Minute, DeadHostRetry: 5 * time.Minute})
	run(t, w)
	w.Notify()
	posts := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, c := range s.got {
			n += c
		}
		return n
	}
	hostNow := func() *storage.Host {
		h, err := e.store.HostByName(bg, host)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	// Three failures at one moment: as many as DeadHostFailures, but the
	// run is not DeadHostSpan old, so the host is not held.
	eventually(t, "three failures are recorded", func() bool {
		h, err := e.store.HostByName(bg, host)
		return err == nil && h.Failures == 3
	})
	time.Sleep(200 * time.Millisecond)
	if h := hostNow(); h.UnavailableSince != nil || h.HoldUntil != nil || posts() != 3 {
		t.Fatalf("after three quick failures: %+v, %d POSTs", h, posts())
	}
	// Ten minutes later every row is due again; the first failure puts the
	// host on hold for DeadHostRetry and parks the other rows.
	e.clock.Advance(10 * time.Minute)
	w.Notify()
	eventually(t, "the host is held", func() bool { return hostNow().HoldUntil != nil })
	time.Sleep(200 * time.Millisecond)
	heldAt := e.clock.Now()
	if h := hostNow(); h.Failures != 4 || !h.HoldUntil.Equal(heldAt.Add(5*time.Minute)) || posts() != 4 {
		t.Fatalf("after the fourth failure, ten minutes into the run: %+v, %d POSTs", h, posts())
	}
	for inbox, d := range e.rows(act) {
		if d.NextAttemptAt.Before(heldAt.Add(5 * time.Minute)) {
			t.Errorf("%s due at %v, before the hold ends", inbox, d.NextAttemptAt)
		}
	}
	// When the hold ends, exactly one row probes the host; it fails and the
	// host is held again.
	e.clock.Advance(5 * time.Minute)
	w.Notify()
	eventually(t, "the probe is recorded", func() bool { return hostNow().Failures == 5 })
	time.Sleep(200 * time.Millisecond)
	if h := hostNow(); posts() != 5 || h.HoldUntil == nil || !h.HoldUntil.Equal(e.clock.Now().Add(5*time.Minute)) ||
		!h.UnavailableSince.Equal(heldAt) {
		t.Fatalf("after the probe: %+v, %d POSTs", h, posts())
	}
	s.check(t)
}

func TestMetrics(t *testing.T) { backends(t, testMetrics) }

func testMetrics(t *testing.T, url string) {
	e := newEnv(t, url)
	for i := 0; i < 4; i++ {
		s := e.inboxServer(nil)
		e.follow(fmt.Sprintf("ok%d", i), s.URL+"/inbox", "")
	}
	bad := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		http.Error(w, "no", http.StatusForbidden)
	})
	e.follow("bad", bad.URL+"/inbox", "")
	act := e.publish()
	reg := prometheus.NewRegistry()
	w := e.worker(nil, delivery.Config{Metrics: reg})
	if _, err := delivery.New(delivery.Config{Metrics: reg, KeyID: keyID}, e.store, e.client); err != nil {
		t.Fatalf("a second worker on the same registry: %v", err)
	}
	run(t, w)
	w.Notify()
	eventually(t, "every delivery is settled", func() bool { return e.settled(act) })
	eventually(t, "nothing in flight", func() bool { return gather(t, reg)["tadamun_delivery_in_flight"] == 0 })
	got := gather(t, reg)
	want := map[string]float64{
		`tadamun_delivery_attempts_total{outcome="delivered"}`: 4,
		`tadamun_delivery_attempts_total{outcome="failed"}`:    1,
		`tadamun_delivery_attempts_total{outcome="retry"}`:     0,
		`tadamun_delivery_duration_seconds_count`:              5,
		`tadamun_delivery_in_flight`:                           0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["tadamun_delivery_queue_pending"]; !ok {
		t.Error("no tadamun_delivery_queue_pending")
	}
}

// gather flattens a registry into "name{labels}" -> value (histograms as
// name_count).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[name] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[name+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestShutdownWaitsForPosts(t *testing.T) { backends(t, testShutdownWaitsForPosts) }

// testShutdownWaitsForPosts: Run returns only when the post under way has
// been answered and recorded.
func testShutdownWaitsForPosts(t *testing.T, url string) {
	e := newEnv(t, url)
	arrived := make(chan struct{}, 1)
	s := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		arrived <- struct{}{}
		time.Sleep(500 * time.Millisecond)
		w.WriteHeader(http.StatusAccepted)
	})
	e.follow("a", s.URL+"/inbox", "")
	act := e.publish()
	w := e.worker(nil, delivery.Config{})
	stop := run(t, w)
	w.Notify()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no POST")
	}
	start := time.Now()
	stop()
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("Run returned %s after the cancel, before the post was answered", took)
	}
	if d := e.rows(act)[s.URL+"/inbox"]; d.State != storage.DeliveryDone {
		t.Fatalf("after shutdown: %+v", d)
	}
}

func TestNewChecksConfig(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	cases := []struct {
		name string
		cfg  delivery.Config
	}{
		{"no KeyID", delivery.Config{}},
		{"lease shorter than timeout", delivery.Config{KeyID: keyID, Lease: time.Second, Timeout: 2 * time.Second}},
		{"lease shorter than two timeouts", delivery.Config{KeyID: keyID, Lease: 3 * time.Second, Timeout: 2 * time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := delivery.New(c.cfg, e.store, e.client); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
