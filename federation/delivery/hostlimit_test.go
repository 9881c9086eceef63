package delivery_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/delivery"
	"github.com/tadamun/tadamun/storage"
)

func TestPerHostLimit(t *testing.T) { backends(t, testPerHostLimit) }

// testPerHostLimit: a host that hangs holds at most PerHost posts, never
// more at once, and the rest of the fan-out completes meanwhile.
func testPerHostLimit(t *testing.T, url string) {
	e := newEnv(t, url)
	release := make(chan struct{})
	slow := e.inboxServer(func(w http.ResponseWriter, r *http.Request, path string, n int) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusAccepted)
	})
	const slowInboxes, fast = 6, 10
	for i := 0; i < slowInboxes; i++ { // personal inboxes: one row each, all on one host
		e.follow(fmt.Sprintf("slow%d", i), fmt.Sprintf("%s/users/u%d/inbox", slow.URL, i), "")
	}
	var others []*inboxServer
	for i := 0; i < fast; i++ {
		s := e.inboxServer(nil)
		e.follow(fmt.Sprintf("fast%d", i), s.URL+"/inbox", "")
		others = append(others, s)
	}
	act := e.publish()
	w := e.worker(nil, delivery.Config{Workers: 4, PerHost: 2})
	run(t, w)
	w.Notify()
	eventually(t, "the other hosts are served while one hangs", func() bool {
		for _, s := range others {
			if s.count("/inbox") != 1 {
				return false
			}
		}
		return true
	})
	eventually(t, "the hanging host holds its two posts", func() bool { return slow.active.Load() == 2 })
	time.Sleep(200 * time.Millisecond)
	if n := slow.maxActive.Load(); n != 2 {
		t.Fatalf("%d concurrent requests to the hanging host, want 2", n)
	}
	// Their outcomes are recorded while the slow host still hangs (how
	// soon depends on the machine: wait for it).
	eventually(t, "the other hosts' rows are recorded done", func() bool {
		for inbox, d := range e.rows(act) {
			if storage.InboxHost(inbox) != storage.InboxHost(slow.URL) && d.State != storage.DeliveryDone {
				return false
			}
		}
		return true
	})
	if n := slow.active.Load(); n != 2 {
		t.Fatalf("the slow host has %d posts under way, want its 2 still hanging", n)
	}
	close(release)
	eventually(t, "the slow host gets its share", func() bool { return e.settled(act) })
	if n := slow.maxActive.Load(); n > 2 {
		t.Fatalf("%d concurrent requests to one host, limit 2", n)
	}
	for i := 0; i < slowInboxes; i++ {
		if n := slow.count(fmt.Sprintf("/users/u%d/inbox", i)); n != 1 {
			t.Errorf("slow inbox %d got %d POSTs", i, n)
		}
	}
	slow.check(t)
}
