package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestScheduledByCommand: `tadamun publish` with a publish time 2 to 3 s
// ahead, run beside a serve whose scheduler is already asleep (for its
// 30 s poll), is federated by that serve at its time, not at the next
// poll: the command is another process on the same SQLite file or
// PostgreSQL database.
func TestScheduledByCommand(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := startNode(t, "127.0.0.1", b.URL, "icssi")
			// The scheduler has computed its wait (the log is at debug).
			eventually(t, "the scheduler to wait", func() bool {
				return strings.Contains(n.srv.logText(), "scheduler: waiting")
			}, n)
			at := time.Now().Add(3 * time.Second).Truncate(time.Second).UTC()
			file := filepath.Join(n.dir, "later.md")
			src := "---\ntitle: Later\nlanguage: en\npublish: " + at.Format(time.RFC3339) + "\n---\nText.\n"
			if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			n.run(t, "publish", "--actor", "icssi", file)
			if c := n.count(t, `SELECT COUNT(*) FROM statements WHERE title = 'Later' AND state = 'scheduled'`); c != 1 {
				t.Fatalf("the statement is not scheduled (the command took %s)", time.Until(at))
			}
			limit := at.Add(2 * time.Second)
			for n.count(t, `SELECT COUNT(*) FROM statements WHERE title = 'Later' AND federated_at IS NOT NULL`) == 0 {
				if time.Now().After(limit) {
					t.Logf("log of the server:\n%s", n.srv.logText())
					t.Fatalf("the statement due at %s was not federated by %s", at.Format(time.TimeOnly), limit.Format(time.TimeOnly))
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("federated within %s of its time", time.Since(at).Round(10*time.Millisecond))
			if c := n.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Create'`); c != 1 {
				t.Errorf("%d Create activities, want 1", c)
			}
		})
	}
}
