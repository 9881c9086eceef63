package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// heard collects what a Listen hears, as two processes would.
type heard struct {
	topics chan string
	ready  chan struct{}
	mu     sync.Mutex
	lost   []error
}

func listen(t *testing.T, st *storage.Store) *heard {
	t.Helper()
	h := &heard{topics: make(chan string, 64), ready: make(chan struct{}, 8)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- st.Listen(ctx, storage.Listener{
			Wake:  func(topic string) { h.topics <- topic },
			Ready: func() { h.ready <- struct{}{} },
			Lost: func(err error) {
				h.mu.Lock()
				h.lost = append(h.lost, err)
				h.mu.Unlock()
			},
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Listen returned %v after its context ended, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Listen did not return after its context ended")
		}
	})
	return h
}

func (h *heard) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-h.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener never listened")
	}
}

// expect waits for the topic; anything else heard first fails the test.
func (h *heard) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-h.topics:
		if got != want {
			t.Fatalf("heard %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("heard nothing, want %q", want)
	}
}

// silent checks that nothing arrives for a while.
func (h *heard) silent(t *testing.T, why string) {
	t.Helper()
	select {
	case got := <-h.topics:
		t.Fatalf("heard %q %s", got, why)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestNotifyReachesOtherProcesses: on PostgreSQL a notification sent by one
// store is heard by another on the same database, only once a transaction
// that sent it commits, and never if it rolls back.
func TestNotifyReachesOtherProcesses(t *testing.T) {
	url := storagetest.PostgresURL(t)
	a, b := storagetest.Open(t, url), storagetest.Open(t, url)
	ctx := context.Background()
	if !a.CanNotify() {
		t.Fatal("CanNotify is false on PostgreSQL")
	}
	h := listen(t, b)
	h.waitReady(t)

	if err := a.Notify(ctx, storage.WakeDelivery); err != nil {
		t.Fatal(err)
	}
	h.expect(t, storage.WakeDelivery)
	if err := a.Notify(ctx, storage.WakeInbox); err != nil {
		t.Fatal(err)
	}
	h.expect(t, storage.WakeInbox)

	// In a transaction: heard at commit, not before.
	committed := make(chan struct{})
	err := a.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.Notify(ctx, storage.WakeDelivery); err != nil {
			return err
		}
		h.silent(t, "before the transaction committed")
		return nil
	})
	close(committed)
	if err != nil {
		t.Fatal(err)
	}
	h.expect(t, storage.WakeDelivery)

	// Rolled back: never heard.
	errRollback := errors.New("roll back")
	err = a.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.Notify(ctx, storage.WakeDelivery); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Tx = %v, want the rollback error", err)
	}
	h.silent(t, "from a transaction that rolled back")
}

// TestListenReconnects: when the listening connection is killed, Listen
// reports the loss, listens again, wakes every topic once (notifications
// may have been missed meanwhile) and hears later notifications.
func TestListenReconnects(t *testing.T) {
	url := storagetest.PostgresURL(t)
	a, b := storagetest.Open(t, url), storagetest.Open(t, url)
	ctx := context.Background()
	h := listen(t, b)
	h.waitReady(t)

	var killed int
	err := a.DB().QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening connections, want 1", killed)
	}
	h.waitReady(t)
	got := map[string]bool{}
	for range 2 {
		select {
		case topic := <-h.topics:
			got[topic] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("after reconnecting heard only %v, want every topic", got)
		}
	}
	if !got[storage.WakeDelivery] || !got[storage.WakeInbox] {
		t.Fatalf("after reconnecting heard %v, want delivery and inbox", got)
	}
	h.mu.Lock()
	lost := len(h.lost)
	h.mu.Unlock()
	if lost == 0 {
		t.Error("the lost connection was not reported")
	}
	if err := a.Notify(ctx, storage.WakeDelivery); err != nil {
		t.Fatal(err)
	}
	h.expect(t, storage.WakeDelivery)
}

// TestNotifySQLite: one process owns a SQLite file, so Notify does nothing
// and Listen returns at once.
func TestNotifySQLite(t *testing.T) {
	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if st.CanNotify() {
		t.Fatal("CanNotify is true on SQLite")
	}
	if err := st.Notify(ctx, storage.WakeDelivery); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- st.Listen(ctx, storage.Listener{Wake: func(string) { t.Error("woken on SQLite") }})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen on SQLite did not return")
	}
}
