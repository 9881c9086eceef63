package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFanOutPlan checks on SQLite that the fan-out's enqueue reads the
// follower inboxes from the two covering indexes of migration 0009 (no
// table row of followers or remote_actors is read), and that the INSERT …
// SELECT cuts the host of plain inboxes itself, leaving only the odd ones
// to InboxHost.
func TestFanOutPlan(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "sqlite:" + filepath.Join(t.TempDir(), "fanout.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := &Actor{Username: "icssi", PrivateKeyPEM: "p", PublicKeyPEM: "q"}
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	inboxes := []string{"https://a.example/inbox", "http://b.example:8080/inbox", "https://c.example:443/users/c/inbox",
		"https://D.example/inbox", "https://user@e.example/inbox", "not a url"}
	for i, in := range inboxes {
		r := &RemoteActor{IRI: fmt.Sprintf("https://r.example/u%d", i), Host: "r.example", Username: fmt.Sprintf("u%d", i),
			Inbox: in, ExpiresAt: time.Now().Add(time.Hour)}
		if err := s.UpsertRemoteActor(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.PutFollower(ctx, a.ID, r.ID, r.IRI+"/follow", FollowAccepted); err != nil {
			t.Fatal(err)
		}
	}
	act := &Activity{IRI: "https://node.example/activities/1", Direction: Outbound, Type: "Create",
		ActorIRI: "https://node.example/users/icssi", LocalActorID: a.ID, Body: []byte(`{}`)}
	if _, err := s.SaveActivity(ctx, act); err != nil {
		t.Fatal(err)
	}
	insert := fanOutInserts["sqlite"]
	if _, err := s.db.ExecContext(ctx, insert, a.ID, act.ID, a.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	hosts, err := s.queryStrings(ctx, "hosts", `SELECT inbox || ' ' || host FROM deliveries ORDER BY inbox`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://b.example:8080/inbox b.example:8080", "https://D.example/inbox ", "https://a.example/inbox a.example",
		"https://c.example:443/users/c/inbox c.example", "https://user@e.example/inbox ", "not a url "}
	if !slices.Equal(hosts, want) {
		t.Fatalf("hosts cut by the INSERT:\n got %q\nwant %q (no host: left to InboxHost)", hosts, want)
	}
	rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+insert, a.ID, act.ID, a.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "\n")
	for _, want := range []string{"SEARCH f USING COVERING INDEX followers_fanout_idx", "SEARCH r USING COVERING INDEX remote_actors_inboxes_idx"} {
		if !strings.Contains(got, want) {
			t.Errorf("the fan-out's plan lacks %q:\n%s", want, got)
		}
	}
}
