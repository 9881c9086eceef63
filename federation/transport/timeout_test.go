package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestTimeout points the client at a server that never finishes
// answering. Each request must fail within the configured timeout, the
// client must hang up (so the server's handler sees its request cancelled
// without being released), and once everything is closed no goroutine may
// be left behind.
func TestTimeout(t *testing.T) {
	baseline := runtime.NumGoroutine()

	release := make(chan struct{})
	var active atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Add(-1)
		// The server notices a client hanging up only once it has read
		// the request body.
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		if r.URL.Path == "/stall-body" {
			w.Header().Set("Content-Type", ContentTypeActivity)
			fmt.Fprint(w, `{"id":`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	var once sync.Once
	shutdown := func() {
		once.Do(func() {
			close(release)
			srv.Close()
		})
	}
	t.Cleanup(shutdown)

	const timeout = 200 * time.Millisecond
	short := New(Config{AllowPrivate: true, Timeout: timeout})
	long := New(Config{AllowPrivate: true})
	signer := testSigner(t)
	tests := []struct {
		name string
		do   func(ctx context.Context) error
		ctx  time.Duration // caller's deadline, 0 for none
	}{
		{"fetch, no headers", func(ctx context.Context) error {
			_, err := short.Fetch(ctx, srv.URL+"/stall", signer)
			return err
		}, 0},
		{"fetch, stalled body", func(ctx context.Context) error {
			_, err := short.Fetch(ctx, srv.URL+"/stall-body", nil)
			return err
		}, 0},
		{"fetch json", func(ctx context.Context) error {
			_, err := short.FetchJSON(ctx, srv.URL+"/stall", "", nil)
			return err
		}, 0},
		{"post", func(ctx context.Context) error {
			_, err := short.Post(ctx, srv.URL+"/stall", []byte(`{}`), signer)
			return err
		}, 0},
		{"caller's deadline", func(ctx context.Context) error {
			_, err := long.Fetch(ctx, srv.URL+"/stall", nil)
			if !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("not a deadline error: %w", err)
			}
			return err
		}, timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- tt.do(ctx) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("request still hanging after 5s")
			}
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("no error from a server that never answers")
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("err = %v, want a timeout", err)
			}
			if elapsed < timeout-20*time.Millisecond || elapsed > timeout+time.Second {
				t.Errorf("failed after %v, timeout %v", elapsed, timeout)
			}
			// The client must have hung up: the handler returns without
			// being released.
			waitFor(t, "server handler to see the client hang up", func() bool { return active.Load() == 0 })
		})
	}

	shutdown()
	short.CloseIdleConnections()
	long.CloseIdleConnections()
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= baseline })
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("timed out waiting for %s; goroutines:\n%s", what, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
