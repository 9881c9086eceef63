package federation_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// schedulerPoll is the poll the server gives the scheduler: a statement
// scheduled by another process after the scheduler computed its wait was
// found only at the next poll, this late, before the scheduler watched
// the data generation.
const schedulerPoll = 30 * time.Second

// federated is what the scheduler logs for each statement it sent.
const federated = "scheduled statement federated"

// logWatch is a slog handler that counts the records of each message and
// signals each record on a channel, so a test can await what a running
// loop has done instead of sleeping.
type logWatch struct {
	mu     sync.Mutex
	counts map[string]int
	seen   chan string
}

func newLogWatch() *logWatch {
	return &logWatch{counts: map[string]int{}, seen: make(chan string, 1024)}
}

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *logWatch) WithGroup(string) slog.Handler            { return w }
func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	w.counts[r.Message]++
	w.mu.Unlock()
	select {
	case w.seen <- r.Message:
	default:
	}
	return nil
}

func (w *logWatch) count(msg string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.counts[msg]
}

// await waits for a record of msg logged from now on.
func (w *logWatch) await(t *testing.T, msg string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-w.seen:
			if m == msg {
				return
			}
		case <-deadline:
			t.Fatalf("no %q logged", msg)
		}
	}
}

// schedProcess is one process of a node: its own Store on the shared
// database and its own Service.
type schedProcess struct {
	store *storage.Store
	fed   *federation.Service
	log   *logWatch
}

func newSchedProcess(t *testing.T, dbURL string) *schedProcess {
	t.Helper()
	st := storagetest.Open(t, dbURL)
	w := newLogWatch()
	fed := federation.New(federation.Config{Scheme: "https", Host: "node.test", MediaDir: t.TempDir(),
		Logger: slog.New(w)}, st)
	return &schedProcess{store: st, fed: fed, log: w}
}

// runScheduler runs p's scheduler until the test ends and returns once it
// is waiting (it has computed its first wait).
func (p *schedProcess) runScheduler(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.fed.RunScheduler(ctx, schedulerPoll) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	p.log.await(t, "scheduler: waiting")
}

// schedule publishes a statement of icssi through p, due at.
func (p *schedProcess) schedule(t *testing.T, title string, at time.Time) *storage.Statement {
	t.Helper()
	d, err := content.ParseStatementFile([]byte("---\ntitle: " + title + "\nlanguage: en\n---\nText.\n"))
	if err != nil {
		t.Fatal(err)
	}
	d.PublishAt = &at
	st, err := p.fed.Publish(context.Background(), "icssi", d)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != storage.StateScheduled {
		t.Fatalf("statement %q is %s, want scheduled", title, st.State)
	}
	return st
}

// TestSchedulerOtherProcess: a statement scheduled 2 s ahead through one
// Store (another process: a second serve, the CLI) while the scheduler of
// another Store on the same database is already asleep for its 30 s poll
// goes out at its time, not at the next poll; on SQLite (one file, two
// Stores) and PostgreSQL.
func TestSchedulerOtherProcess(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			server, cli := newSchedProcess(t, b.URL), newSchedProcess(t, b.URL)
			if _, err := cli.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			server.runScheduler(t)

			at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Microsecond)
			st := cli.schedule(t, "Later", at)
			limit := at.Add(2 * time.Second)
			var got *storage.Statement
			for {
				var err error
				if got, err = server.store.StatementByID(ctx, st.ID); err != nil {
					t.Fatal(err)
				}
				// Federated, and its sending logged (just after the commit).
				if got.FederatedAt != nil && server.log.count(federated) > 0 || time.Now().After(limit) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got.FederatedAt == nil {
				t.Fatalf("the statement due at %s was not federated by %s (the scheduler sleeps %s)", at, limit, schedulerPoll)
			}
			t.Logf("federated %v after its time", got.FederatedAt.Sub(at))
			if got.FederatedAt.Before(at) || got.State != storage.StatePublished {
				t.Errorf("federated at %s (due %s), state %s", got.FederatedAt, at, got.State)
			}
			if n, err := server.store.CountActivities(ctx, storage.Outbound, "Create"); err != nil || n != 1 {
				t.Errorf("%d Create activities, %v; want 1", n, err)
			}
			if n := server.log.count(federated); n != 1 {
				t.Errorf("the scheduler logged %d statements federated, want 1", n)
			}
		})
	}
}

// TestSchedulerTwoProcesses: two processes on one PostgreSQL database run
// the scheduler; statements scheduled to the same instant go out once
// each: one Create per statement, one delivery per follower and Create,
// and one "federated" between the two schedulers.
func TestSchedulerTwoProcesses(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	ctx := context.Background()
	a, b := newSchedProcess(t, dbURL), newSchedProcess(t, dbURL)
	actor, err := a.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"})
	if err != nil {
		t.Fatal(err)
	}
	const followers, statements = 3, 8
	for i := 0; i < followers; i++ {
		host := fmt.Sprintf("f%d.example", i)
		r := &storage.RemoteActor{IRI: "https://" + host + "/users/u", Host: host, Username: "u",
			Inbox: "https://" + host + "/users/u/inbox", ExpiresAt: time.Now().Add(time.Hour)}
		if err := a.store.UpsertRemoteActor(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := a.store.PutFollower(ctx, actor.ID, r.ID, r.IRI+"/follow", storage.FollowAccepted); err != nil {
			t.Fatal(err)
		}
	}
	a.runScheduler(t)
	b.runScheduler(t)

	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Microsecond)
	for i := 0; i < statements; i++ {
		p := a
		if i%2 == 1 {
			p = b
		}
		p.schedule(t, fmt.Sprintf("Statement %d", i), at)
	}
	deadline := at.Add(10 * time.Second)
	// Every statement federated, and its sending logged (just after the
	// commit).
	for storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM statements WHERE federated_at IS NULL`) > 0 ||
		a.log.count(federated)+b.log.count(federated) < statements {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled statements were not all federated")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Create'`); n != statements {
		t.Errorf("%d Create activities, want %d", n, statements)
	}
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM (SELECT statement_id FROM activities
		WHERE direction = 'out' AND activity_type = 'Create' GROUP BY statement_id HAVING COUNT(*) > 1) AS twice`); n != 0 {
		t.Errorf("%d statements with more than one Create", n)
	}
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM deliveries`); n != followers*statements {
		t.Errorf("%d deliveries, want %d (one per follower and statement)", n, followers*statements)
	}
	na, nb := a.log.count(federated), b.log.count(federated)
	t.Logf("process a federated %d, process b %d", na, nb)
	if na+nb != statements {
		t.Errorf("the schedulers logged %d + %d statements federated, want %d in all", na, nb, statements)
	}
	for _, p := range []*schedProcess{a, b} {
		if n := p.log.count("scheduler"); n != 0 {
			t.Errorf("a scheduler logged %d errors", n)
		}
	}
}

// TestSchedulerIdle: a scheduler with nothing written meanwhile reads no
// table while it sleeps: it only probes the data generation (which runs
// outside the store's counted queries), and reads the next scheduled
// time again only when that moved. SQLite, where only writes to this
// file move it (on PostgreSQL any database on the server does).
func TestSchedulerIdle(t *testing.T) {
	p := newSchedProcess(t, storagetest.SQLiteURL(t))
	if _, err := p.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	p.runScheduler(t)
	before := p.store.QueryCount()
	// An observation window of several ticks, not a synchronisation.
	time.Sleep(4 * 500 * time.Millisecond)
	if n := p.store.QueryCount() - before; n != 0 {
		t.Errorf("the idle scheduler ran %d queries in four of its ticks, want none", n)
	}
	// A write moves the generation: the next tick reads the next
	// scheduled time again, and finds this statement.
	p.schedule(t, "Later", time.Now().Add(time.Hour))
	p.log.await(t, "scheduler: waiting")
}

// TestFederateDueGoesPastAFailure: of the statements due together, one
// that cannot be sent (its actor's proof key is unreadable) is reported,
// and the ones due after it go out all the same.
func TestFederateDueGoesPastAFailure(t *testing.T) {
	ctx := context.Background()
	p := newSchedProcess(t, storagetest.SQLiteURL(t))
	for _, u := range []string{"bad", "icssi"} {
		if _, err := p.fed.CreateActor(ctx, federation.NewActor{Username: u}); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().Add(300 * time.Millisecond).UTC().Truncate(time.Microsecond)
	d, err := content.ParseStatementFile([]byte("---\ntitle: First\nlanguage: en\n---\nText.\n"))
	if err != nil {
		t.Fatal(err)
	}
	d.PublishAt = &at
	if _, err := p.fed.Publish(ctx, "bad", d); err != nil {
		t.Fatal(err)
	}
	good := p.schedule(t, "Second", at.Add(time.Millisecond))
	if _, err := p.store.DB().Exec(`UPDATE actors SET proof_key_pem = 'not a key' WHERE username = 'bad'`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(at.Add(10 * time.Millisecond))) // both due
	sent, err := p.fed.FederateDue(ctx)
	if err == nil {
		t.Error("no error for the statement that cannot be sent")
	}
	got, gerr := p.store.StatementByID(ctx, good.ID)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if sent != 1 || got.FederatedAt == nil {
		t.Fatalf("sent %d, the statement due after the failing one federated at %v; want it sent", sent, got.FederatedAt)
	}
}
