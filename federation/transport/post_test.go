package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/httpsig"
)

// TestPostSigned checks a delivery on the wire: signed with a Digest that
// matches the body, with the ActivityStreams Content-Type.
func TestPostSigned(t *testing.T) {
	signer := testSigner(t)
	activity := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://node.example/a/1"}`)
	var mu sync.Mutex
	var problems []string
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
		body, err := io.ReadAll(r.Body)
		if err != nil {
			fail("read: %v", err)
		}
		if r.Method != http.MethodPost || r.URL.Path != "/users/bob/inbox" {
			fail("%s %s", r.Method, r.URL.Path)
		}
		if !bytes.Equal(body, activity) {
			fail("body = %q", body)
		}
		if got := r.Header.Get("Content-Type"); got != "application/activity+json" {
			fail("Content-Type = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "Tadamun/test" {
			fail("User-Agent = %q", got)
		}
		sig, err := httpsig.Parse(r, httpsig.Options{Scheme: "http", RequireDigest: true})
		if err != nil {
			fail("parse signature: %v", err)
		} else {
			if !sig.Covers("digest") || !sig.Covers("(request-target)") || !sig.Covers("host") || !sig.Covers("date") {
				fail("covered: %v", sig.Covered)
			}
			if err := sig.Verify(&signer.Key.PublicKey); err != nil {
				fail("verify: %v", err)
			}
		}
		if err := httpsig.VerifyDigest(r.Header, body); err != nil {
			fail("digest: %v", err)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	c := newTestClient(t, Config{AllowPrivate: true, UserAgent: "Tadamun/test"})
	resp, err := c.Post(context.Background(), srv.URL+"/users/bob/inbox", activity, signer)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if resp.Status != http.StatusAccepted || resp.RetryAfter != 0 {
		t.Errorf("Response = %+v", resp)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	if srv.hits.Load() != 1 {
		t.Errorf("server saw %d requests", srv.hits.Load())
	}
}

func TestPostAnswers(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var followed bool
	var mu sync.Mutex
	mux := http.NewServeMux()
	srv := newTestServer(t, mux)
	answer := func(code int, header, value, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				t.Error(err)
			}
			if header != "" {
				w.Header().Set(header, value)
			}
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("/ok", answer(http.StatusOK, "", "", `{"ok":true}`))
	mux.HandleFunc("/accepted", answer(http.StatusAccepted, "", "", ""))
	mux.HandleFunc("/huge", answer(http.StatusOK, "", "", strings.Repeat("x", 4<<20)))
	mux.HandleFunc("/moved", answer(http.StatusPermanentRedirect, "Location", "/elsewhere", ""))
	mux.HandleFunc("/found", answer(http.StatusFound, "Location", "/elsewhere", ""))
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		followed = true
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/slow-down", answer(http.StatusTooManyRequests, "Retry-After", "120", "slow down"))
	mux.HandleFunc("/maintenance", answer(http.StatusServiceUnavailable, "Retry-After", now.Add(90*time.Second).Format(http.TimeFormat), ""))
	mux.HandleFunc("/gone", answer(http.StatusGone, "", "", "Gone"))
	mux.HandleFunc("/rejected", answer(http.StatusBadRequest, "", "", "\x1b]0;pwned\x07bad\r\nINFO fake log entry "+strings.Repeat("é", 300)))
	mux.HandleFunc("/timeout", answer(http.StatusRequestTimeout, "", "", ""))

	tests := []struct {
		path       string
		status     int
		retryAfter time.Duration
		permanent  bool
		err        error
		body       string
	}{
		{path: "/ok", status: 200},
		{path: "/accepted", status: 202},
		{path: "/huge", status: 200},
		{path: "/moved", status: 308, err: errStatus},
		{path: "/found", status: 302, err: errStatus},
		{path: "/slow-down", status: 429, retryAfter: 2 * time.Minute, err: errStatus, body: "slow down"},
		{path: "/maintenance", status: 503, retryAfter: 90 * time.Second, err: errStatus},
		{path: "/gone", status: 410, permanent: true, err: ErrGone, body: "Gone"},
		{path: "/rejected", status: 400, permanent: true, err: errStatus, body: "]0;pwned bad INFO fake log entry " + strings.Repeat("é", 83)},
		{path: "/timeout", status: 408, err: errStatus},
	}
	c := newTestClient(t, Config{AllowPrivate: true, Now: func() time.Time { return now }})
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := c.Post(context.Background(), srv.URL+tt.path, []byte(`{"type":"Follow"}`), testSigner(t))
			if resp == nil || resp.Status != tt.status || resp.RetryAfter != tt.retryAfter {
				t.Fatalf("Response = %+v (err %v), want status %d, retry after %v", resp, err, tt.status, tt.retryAfter)
			}
			if tt.err == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a StatusError", err)
			}
			if tt.err != errStatus && !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if se.Code != tt.status || se.RetryAfter != tt.retryAfter || se.Permanent() != tt.permanent || se.Method != http.MethodPost {
				t.Errorf("StatusError = %+v, Permanent %v", se, se.Permanent())
			}
			if se.Body != tt.body {
				t.Errorf("Body = %q (%d bytes), want %q", se.Body, len(se.Body), tt.body)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if followed {
		t.Error("a POST followed a redirect")
	}
}

// errStatus marks test cases that expect a StatusError and no sentinel.
var errStatus = errors.New("status error")

func TestPostRefusals(t *testing.T) {
	srv := newTestServer(t, http.NotFoundHandler())
	c := newTestClient(t, Config{AllowPrivate: true})
	tests := []struct {
		name, inbox string
		signer      *Signer
		err         error
	}{
		{"no signer", srv.URL + "/inbox", nil, nil},
		{"signer without key", srv.URL + "/inbox", &Signer{KeyID: testKeyID}, httpsig.ErrInvalidKey},
		{"bad scheme", "ftp://a.example/inbox", testSigner(t), ErrBadURL},
		{"relative", "/inbox", testSigner(t), ErrBadURL},
		{"userinfo", "https://u:p@a.example/inbox", testSigner(t), ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Post(context.Background(), tt.inbox, []byte(`{}`), tt.signer)
			if err == nil || resp != nil {
				t.Fatalf("got %+v, %v", resp, err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if !strings.HasPrefix(err.Error(), "transport: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}
