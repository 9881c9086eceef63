package delivery

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/transport"
)

func TestBackoff(t *testing.T) {
	const base, maxWait = 30 * time.Second, 12 * time.Hour
	cases := []struct {
		attempt    int
		retryAfter time.Duration
		jitter     float64
		want       time.Duration
	}{
		{1, 0, 1, 30 * time.Second},
		{2, 0, 1, time.Minute},
		{3, 0, 1, 2 * time.Minute},
		{11, 0, 1, 30 * time.Second << 10},
		{12, 0, 1, maxWait}, // 17h, capped
		{1000, 0, 1, maxWait},
		{1, 0, 0.75, 22500 * time.Millisecond},
		{1, 0, 1.25, 37500 * time.Millisecond},
		{1000, 0, 1.25, 15 * time.Hour}, // jitter applies to the cap too
		{1, 120 * time.Second, 1.25, 120 * time.Second},
		{3, time.Second, 1, 2 * time.Minute},           // a short Retry-After does not hurry us
		{1, 48 * time.Hour, 1, 24 * time.Hour},         // believed up to a day
		{0, 0, 1, 30 * time.Second},                    // nonsense attempt counts as the first
		{64, 0, 1, maxWait},                            // no overflow
		{2, 0, 1, 2 * base},                            // doubling
		{1, time.Duration(1) << 62, 1, 24 * time.Hour}, // absurd Retry-After
		{30, 0, 0.75, time.Duration(0.75 * float64(maxWait))},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("attempt%d_ra%s_j%v", c.attempt, c.retryAfter, c.jitter), func(t *testing.T) {
			if got := backoff(c.attempt, base, maxWait, c.retryAfter, c.jitter); got != c.want {
				t.Fatalf("backoff = %s, want %s", got, c.want)
			}
		})
	}
	for i := 0; i < 1000; i++ {
		if j := jitter(); j < 0.75 || j >= 1.25 {
			t.Fatalf("jitter %v out of [0.75, 1.25)", j)
		}
	}
}

func TestClassify(t *testing.T) {
	status := func(code int, ra time.Duration) error {
		return &transport.StatusError{Method: "POST", URL: "https://x.example/inbox", Code: code, RetryAfter: ra}
	}
	cases := []struct {
		name       string
		resp       *transport.Response
		err        error
		want       outcome
		wantStatus int
		wantRA     time.Duration
	}{
		{"202", &transport.Response{Status: 202}, nil, outcomeDelivered, 202, 0},
		{"200", &transport.Response{Status: 200}, nil, outcomeDelivered, 200, 0},
		{"400", &transport.Response{Status: 400}, status(400, 0), outcomeFailed, 400, 0},
		{"401", &transport.Response{Status: 401}, status(401, 0), outcomeFailed, 401, 0},
		{"404", &transport.Response{Status: 404}, status(404, 0), outcomeFailed, 404, 0},
		{"410", &transport.Response{Status: 410}, status(410, 0), outcomeFailed, 410, 0},
		{"408", &transport.Response{Status: 408}, status(408, 0), outcomeRetry, 408, 0},
		{"429", &transport.Response{Status: 429, RetryAfter: time.Minute}, status(429, time.Minute), outcomeRetry, 429, time.Minute},
		{"500", &transport.Response{Status: 500}, status(500, 0), outcomeRetry, 500, 0},
		{"503 retry-after", &transport.Response{Status: 503}, status(503, 2*time.Minute), outcomeRetry, 503, 2 * time.Minute},
		{"wrapped status", nil, fmt.Errorf("x: %w", status(502, 0)), outcomeRetry, 502, 0},
		{"network", nil, errors.New("transport: dial tcp: connection refused"), outcomeRetry, 0, 0},
		{"bad url", nil, fmt.Errorf("%w: ftp://x", transport.ErrBadURL), outcomeFailed, 0, 0},
		{"private", nil, fmt.Errorf("x: %w", transport.ErrPrivateAddress), outcomeFailed, 0, 0},
		{"non-2xx without error", &transport.Response{Status: 503}, nil, outcomeRetry, 503, 0},
		{"403 without error", &transport.Response{Status: 403}, nil, outcomeFailed, 403, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := classify(c.resp, c.err)
			if r.outcome != c.want || r.status != c.wantStatus || r.retryAfter != c.wantRA {
				t.Fatalf("classify = %s %d %s, want %s %d %s", r.outcome, r.status, r.retryAfter, c.want, c.wantStatus, c.wantRA)
			}
			if c.want != outcomeDelivered && r.err == nil {
				t.Fatal("a failure without an error")
			}
		})
	}
}
