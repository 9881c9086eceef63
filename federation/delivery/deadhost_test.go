package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// TestDeadHostRule pins the decision itself, with the documented defaults
// and with thresholds from Config.
func TestDeadHostRule(t *testing.T) {
	now := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	defaults := &Worker{cfg: Config{DeadHostFailures: DefaultDeadHostFailures, DeadHostSpan: DefaultDeadHostSpan}}
	strict := &Worker{cfg: Config{DeadHostFailures: 3, DeadHostSpan: 10 * time.Minute}}
	for _, tc := range []struct {
		name string
		w    *Worker
		h    storage.Host
		want bool
	}{
		{"nine failures over two hours", defaults, storage.Host{Failures: 9, FailingSince: ago(2 * time.Hour)}, false},
		{"ten failures over 59 minutes", defaults, storage.Host{Failures: 10, FailingSince: ago(59 * time.Minute)}, false},
		{"ten failures over an hour", defaults, storage.Host{Failures: 10, FailingSince: ago(time.Hour)}, true},
		{"a thousand failures within a minute", defaults, storage.Host{Failures: 1000, FailingSince: ago(time.Minute)}, false},
		{"ten failures, no start recorded", defaults, storage.Host{Failures: 10}, false},
		{"already held, a failed probe", defaults, storage.Host{Failures: 1, FailingSince: ago(0), UnavailableSince: ago(3 * time.Hour)}, true},
		{"config: three failures over ten minutes", strict, storage.Host{Failures: 3, FailingSince: ago(10 * time.Minute)}, true},
		{"config: two failures over an hour", strict, storage.Host{Failures: 2, FailingSince: ago(time.Hour)}, false},
		{"config: three failures over nine minutes", strict, storage.Host{Failures: 3, FailingSince: ago(9 * time.Minute)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.holds(&tc.h, now); got != tc.want {
				t.Errorf("holds(%+v) = %v, want %v", tc.h, got, tc.want)
			}
		})
	}
}

// TestDeadHostDefaults: a zero Config gets the documented thresholds.
func TestDeadHostDefaults(t *testing.T) {
	if DefaultDeadHostFailures != 10 || DefaultDeadHostSpan != time.Hour || DefaultDeadHostRetry != time.Hour {
		t.Fatalf("defaults %d, %s, %s; the README and doc.go say 10, 1h, 1h",
			DefaultDeadHostFailures, DefaultDeadHostSpan, DefaultDeadHostRetry)
	}
	w, err := New(Config{KeyID: func(string, bool) string { return "" }}, &storage.Store{}, nopPoster{})
	if err != nil {
		t.Fatal(err)
	}
	if w.cfg.DeadHostFailures != 10 || w.cfg.DeadHostSpan != time.Hour || w.cfg.DeadHostRetry != time.Hour {
		t.Fatalf("zero Config got %d, %s, %s", w.cfg.DeadHostFailures, w.cfg.DeadHostSpan, w.cfg.DeadHostRetry)
	}
}

// nopPoster is never called: these tests do not deliver.
type nopPoster struct{}

func (nopPoster) Post(context.Context, string, []byte, *transport.Signer) (*transport.Response, error) {
	return nil, nil
}
